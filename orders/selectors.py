"""Reads for the pages: the order list and its search, one order in detail, the home summary.

Every function runs a fixed number of queries whatever the data size, and leaves the database
specific parts (the phone number search index) to this module.
"""

import functools
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import CharField, Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from orders.models import (
    AuditEntry,
    Order,
    PhoneNumber,
    RequirementDefinition,
    RequirementValue,
    Status,
    SubOrder,
    SyncRun,
)
from webhooks.models import WebhookEvent
from webhooks.selectors import events_for_order

# The sort keys the list accepts (anything else falls back to the default, newest first).
SORTS = {
    # The id settles ties, so that no order shows on two pages or on none.
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "reference": ("customer_reference", "-created_at"),
    "-reference": ("-customer_reference", "-created_at"),
    "status": ("status", "-created_at"),
    "numbers": ("phone_numbers_count", "-created_at"),
    "-numbers": ("-phone_numbers_count", "-created_at"),
}
DEFAULT_SORT = "-created"

# Trigram indexes need three characters; shorter runs of digits would match nearly everything.
MIN_SEARCH_DIGITS = 3
# A search is the costly part of a list query. Up to this many matches it is resolved once into
# a list of ids, rather than run again for the paginator's count and for the page; broader
# searches stay a subquery (passing more ids as parameters costs more than it saves).
SEARCH_IDS_LIMIT = 1000
# What people type between the digits of a phone number: "+41 (21) 547-00.01".
_NUMBER_PUNCTUATION = re.compile(r"[\s+\-().\/]")

DEADLINE_SOON = timedelta(hours=48)
DEADLINE_SOON_SHOWN = 20


def search_digits(q: str) -> str | None:
    """The digits to look for in phone numbers, or None when `q` is not a phone number search."""
    digits = _NUMBER_PUNCTUATION.sub("", q)
    if len(digits) >= MIN_SEARCH_DIGITS and digits.isascii() and digits.isdigit():
        return digits
    return None


def _numbers_containing(digits: str) -> QuerySet[PhoneNumber]:
    """Phone numbers whose digits contain `digits`, found through the trigram index."""
    if connection.vendor == "sqlite":
        # The FTS5 trigram table of migration 0002 (rowid = phone number id) answers LIKE from
        # its index; the ORM cannot name a virtual table. `digits` is 0-9 only: nothing to escape.
        return PhoneNumber.objects.filter(
            pk__in=RawSQL(
                "SELECT rowid FROM orders_phonenumber_search WHERE digits LIKE %s",
                (f"%{digits}%",),
            )
        )
    # PostgreSQL: the GIN pg_trgm index on digits answers `LIKE '%...%'`.
    return PhoneNumber.objects.filter(digits__contains=digits)


def _orders_with_reference_containing(text: str) -> QuerySet[Order]:
    if connection.vendor == "sqlite" and not ({"%", "_"} & set(text)):
        # The FTS5 trigram table of migration 0007 answers LIKE from its index (case-insensitive,
        # like icontains). Text with LIKE wildcards takes the ORM's escaped path below.
        return Order.objects.order_by().filter(
            pk__in=RawSQL(
                "SELECT order_id FROM orders_order_reference_search"
                " WHERE customer_reference LIKE %s",
                (f"%{text}%",),
            )
        )
    # PostgreSQL: the GIN pg_trgm index on UPPER(customer_reference) answers icontains.
    return Order.objects.order_by().filter(customer_reference__icontains=text)


def order_search_ids(*, q: str) -> QuerySet:
    """Ids of the orders the search box finds for `q`, as a subquery.

    An order matches by its full id, by a case-insensitive piece of its customer reference, or
    by any run of at least three digits of one of its phone numbers (spaces, dashes, dots and
    parentheses ignored). A leading '+' makes it a phone number search only.
    """
    q = q.strip()
    orders = Order.objects.order_by()
    order_id = _parse_uuid(q)
    if order_id is not None:
        return orders.filter(id=order_id).values_list("id", flat=True)
    by_reference = _orders_with_reference_containing(q).values_list("id", flat=True)
    digits = search_digits(q)
    if digits is None:
        return by_reference
    numbers = _numbers_containing(digits).order_by().values_list("order_id", flat=True)
    if q.startswith("+"):
        # "+41 21 ..." is a phone number, not a reference.
        return numbers
    # A UNION lets each part use its own index; an OR of the two makes both databases test
    # every order against the number subquery.
    return by_reference.union(numbers).order_by()


def _ids(ids: list[uuid.UUID]) -> list[uuid.UUID] | RawSQL:
    """`ids` for an `__in` filter. On PostgreSQL one array parameter: as a list, Django
    converts each id and psycopg adapts it as a parameter of its own, for the count and again
    for the page (8 ms of CPU on a search that finds 224 orders)."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::uuid[])", (ids,))
    return ids


def _parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


# What the list shows: loading no more keeps a page of rows cheap.
LIST_FIELDS = (
    "id",
    "created_at",
    "customer_reference",
    "status",
    "phone_numbers_count",
    "requirements_met",
    "countries",
    "synced_at",
    "gone_at",
)


class _EveryOrder:
    """Counts every order: on PostgreSQL from the total that migration 0009's triggers keep,
    where count(*) would visit 100,000 index entries on each page of the unfiltered list."""

    def count(self) -> int:
        if connection.vendor != "postgresql":
            return Order.objects.count()
        with connection.cursor() as cursor:
            cursor.execute("SELECT total FROM orders_order_total")
            return cursor.fetchone()[0]


@dataclass(frozen=True)
class OrderList:
    """The list's orders, filtered and sorted, for a Paginator: it counts `counted` and takes
    its pages from `rows`, two forms of the same filter that differ only where the best plan
    differs. SQLite answers a correlated EXISTS cheaply for one page (it walks the sort index
    and stops at 50 rows) but probes it once per order when counting, where an IN list probes
    once per match.

    A page is one query in two steps: the ids of the page from the sort's index alone, then
    those rows. OFFSET steps over every row before the page, and stepping over index entries
    costs a fraction of fetching whole rows (page 1,000 of 100,000 orders: the query 4.5 -> 1.6
    ms on SQLite; the page 71 -> 24-33 ms on PostgreSQL, which read 50,000 rows from the heap).
    """

    rows: QuerySet[Order]
    counted: QuerySet | _EveryOrder
    ordered = True  # the Paginator warns about unordered lists

    def count(self) -> int:
        return self.counted.count()

    def __getitem__(self, window: slice) -> list[Order]:
        page = Order.objects.filter(pk__in=self.rows.values("pk")[window])
        return list(page.only(*LIST_FIELDS).order_by(*self.rows.query.order_by))


def order_list(
    *,
    status: str | None = None,
    requirements_met: bool | None = None,
    country: str | None = None,
    number_type: str | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    q: str = "",
    sort: str = DEFAULT_SORT,
) -> OrderList:
    """The orders for the list page, filtered, searched and sorted (dates inclusive)."""
    orders = Order.objects.all()
    if status:
        orders = orders.filter(status=status)
    if requirements_met is not None:
        orders = orders.filter(requirements_met=requirements_met)
    if created_from:
        orders = orders.filter(created_at__gte=_start_of_day(created_from))
    if created_to:
        orders = orders.filter(created_at__lt=_start_of_day(created_to + timedelta(days=1)))
    if q.strip():
        search = order_search_ids(q=q)
        found = list(search[: SEARCH_IDS_LIMIT + 1])
        orders = orders.filter(id__in=_ids(found) if len(found) <= SEARCH_IDS_LIMIT else search)
    counted = orders if orders.query.has_filters() else _EveryOrder()
    if country or number_type:
        # Country and type of the same sub order: "CH local" means CH's local numbers.
        sub_orders = SubOrder.objects.all()
        if country:
            sub_orders = sub_orders.filter(country_code=country)
        if number_type:
            sub_orders = sub_orders.filter(phone_number_type=number_type)
        order_ids = sub_orders.values("order_id")
        # Filtered by sub orders alone, the count needs no order rows at all.
        counted = (
            orders.filter(id__in=order_ids)
            if orders.query.has_filters()
            else order_ids.order_by().distinct()
        )
        orders = orders.filter(Exists(sub_orders.filter(order=OuterRef("pk"))))
    rows = orders.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))
    return OrderList(rows=rows, counted=counted)


@dataclass(slots=True)
class RequirementRow:
    """One requirement value of a number, as the order page shows it."""

    requirement_id: uuid.UUID
    field_type: str
    field_value: str
    status: str
    # None while Telnyx's definition of the requirement has not been fetched.
    definition: RequirementDefinition | None


@dataclass(slots=True)
class NumberRow:
    """One phone number of an order, with its requirement values."""

    id: int
    sub_order_id: uuid.UUID | None
    phone_number: str
    status: str
    requirements_status: str
    locality: str
    requirements: list[RequirementRow] = field(default_factory=list)


@dataclass
class SubOrderDetail:
    sub_order: SubOrder
    numbers: list[NumberRow]

    @property
    def cancelled(self) -> bool:
        """Telnyx has no "cancelled" status: a cancelled sub order is a failure whose numbers
        all say requirements_status "cancelled"."""
        return (
            self.sub_order.status == Status.FAILURE
            and bool(self.numbers)
            and all(n.requirements_status == "cancelled" for n in self.numbers)
        )

    @property
    def display_status(self) -> str:
        return "cancelled" if self.cancelled else self.sub_order.status


@dataclass
class OrderDetail:
    order: Order
    sub_orders: list[SubOrderDetail]
    # Numbers Telnyx no longer lists under any sub order (the link is nullable).
    unassigned_numbers: list[NumberRow]
    # The definitions the order's requirement values refer to, by label.
    definitions: list[RequirementDefinition]


def _as_text(field_name: str) -> Cast:
    return Cast(field_name, output_field=CharField())


def order_detail(*, order_id: uuid.UUID) -> OrderDetail:
    """One order with its sub orders, numbers and requirement values, in five queries.

    A big order has hundreds of numbers and twice as many values: they are read as plain rows
    (NumberRow, RequirementRow), which costs a fraction of building model instances.
    Raises Order.DoesNotExist.
    """
    order = Order.objects.get(pk=order_id)
    sub_orders = SubOrder.objects.filter(order_id=order_id).order_by(
        "country_code", "phone_number_type"
    )
    # Those rows repeat a handful of requirement and sub order ids: read as text, each is
    # parsed once, where a UUID per row was a third of the time of this read.
    parsed = functools.cache(uuid.UUID)
    values = RequirementValue.objects.filter(phone_number__order_id=order_id).order_by("id")
    value_rows = [
        (number_id, parsed(requirement_id), *fields)
        for number_id, requirement_id, *fields in values.values_list(
            "phone_number_id", _as_text("requirement_id"), "field_type", "field_value", "status"
        )
    ]
    # requirement_id is a plain UUID (definitions arrive separately from Telnyx): one query.
    definitions = RequirementDefinition.objects.in_bulk({row[1] for row in value_rows})
    requirements: dict[int, list[RequirementRow]] = {}
    for number_id, requirement_id, *fields in value_rows:
        requirements.setdefault(number_id, []).append(
            RequirementRow(requirement_id, *fields, definition=definitions.get(requirement_id))
        )
    numbers: dict[uuid.UUID | None, list[NumberRow]] = {}
    number_rows = (
        PhoneNumber.objects.filter(order_id=order_id)
        .order_by("phone_number")
        .values_list(
            "id",
            _as_text("sub_order_id"),
            "phone_number",
            "status",
            "requirements_status",
            "locality",
        )
    )
    for number_id, sub_order_id, *fields in number_rows:
        number = NumberRow(
            number_id,
            sub_order_id and parsed(sub_order_id),
            *fields,
            requirements=requirements.get(number_id, []),
        )
        numbers.setdefault(number.sub_order_id, []).append(number)
    return OrderDetail(
        order=order,
        sub_orders=[
            SubOrderDetail(sub_order=sub, numbers=numbers.get(sub.id, [])) for sub in sub_orders
        ],
        unassigned_numbers=numbers.get(None, []),
        definitions=sorted(definitions.values(), key=lambda d: d.label),
    )


@dataclass
class RequirementSummary:
    """One requirement of an order, once for all of its numbers that have it: what the "Fix
    requirements" form lists. Cancelled numbers are left out: Telnyx takes no values for them."""

    requirement_id: uuid.UUID
    field_type: str
    # None while Telnyx's definition of the requirement has not been fetched.
    definition: RequirementDefinition | None
    values: list[str] = field(default_factory=list)  # distinct, "" for "awaiting a value"
    statuses: list[str] = field(default_factory=list)  # distinct
    numbers: list[str] = field(default_factory=list)  # E.164
    # Country and number type of the sub orders whose numbers have it, e.g. "GB local": tells
    # apart requirements of one label asked by several countries.
    sub_orders: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.definition.label if self.definition else str(self.requirement_id)

    @property
    def current_value(self) -> str:
        """The value all its numbers share; "" when there is none yet or they differ."""
        return self.values[0] if len(self.values) == 1 else ""

    @property
    def criteria(self) -> list[tuple[str, str]]:
        """Telnyx's acceptance criteria as (name, text) pairs to show."""
        criteria = self.definition.acceptance_criteria if self.definition else {}
        return [
            (name.replace("_", " ").capitalize(), _shown(value)) for name, value in criteria.items()
        ]


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def order_requirements(*, detail: OrderDetail) -> list[RequirementSummary]:
    """The distinct requirements of an order's open numbers, in the order first met (Telnyx's
    order within a sub order). Reads nothing more from the database than `detail` holds."""
    groups = [
        (f"{sub.sub_order.country_code} {sub.sub_order.phone_number_type}", sub.numbers)
        for sub in detail.sub_orders
    ]
    groups.append(("", detail.unassigned_numbers))
    summaries: dict[uuid.UUID, RequirementSummary] = {}
    for kind, numbers in groups:
        for number in numbers:
            if number.requirements_status == "cancelled":
                continue
            for row in number.requirements:
                summary = summaries.get(row.requirement_id)
                if summary is None:
                    summary = summaries[row.requirement_id] = RequirementSummary(
                        row.requirement_id, row.field_type, row.definition
                    )
                # Made distinct below: a big order's values may all differ.
                summary.values.append(row.field_value)
                summary.statuses.append(row.status)
                if kind and kind not in summary.sub_orders:
                    summary.sub_orders.append(kind)
                summary.numbers.append(number.phone_number)
    for summary in summaries.values():
        summary.values = list(dict.fromkeys(summary.values))
        summary.statuses = list(dict.fromkeys(summary.statuses))
    return list(summaries.values())


# The order page's history shows this many of the latest entries.
HISTORY_SHOWN = 50


@dataclass(frozen=True)
class HistoryEntry:
    """One line of an order's history: an action taken through the dashboard (AuditEntry) or a
    webhook event Telnyx sent about it."""

    at: datetime
    who: str
    what: str
    outcome: str  # the machine value, for styling
    outcome_label: str
    detail: str  # reason, Telnyx's status, code and detail


def _audit_line(entry: AuditEntry) -> HistoryEntry:
    telnyx = " ".join(
        part
        for part in (
            f"HTTP {entry.http_status}" if entry.http_status else "",
            f"code {entry.telnyx_code}" if entry.telnyx_code else "",
            entry.telnyx_detail,
        )
        if part
    )
    reason = f"Reason: {entry.reason}" if entry.reason else ""
    return HistoryEntry(
        at=entry.created_at,
        who=entry.username,
        what=entry.get_action_display(),
        outcome=entry.outcome,
        outcome_label=entry.get_outcome_display(),
        detail=" · ".join(part for part in (reason, telnyx) if part),
    )


def _event_line(event: WebhookEvent) -> HistoryEntry:
    return HistoryEntry(
        at=event.received_at,
        who="Telnyx (webhook)",
        what=event.event_type,
        outcome=event.outcome,
        outcome_label=event.get_outcome_display(),
        detail=event.detail,
    )


def order_history(*, order_id: uuid.UUID, limit: int = HISTORY_SHOWN) -> list[HistoryEntry]:
    """The latest `limit` actions and webhook events about an order, newest first."""
    lines = [_audit_line(entry) for entry in AuditEntry.objects.filter(order_id=order_id)[:limit]]
    lines += [_event_line(event) for event in events_for_order(order_id=order_id)[:limit]]
    return sorted(lines, key=lambda line: line.at, reverse=True)[:limit]


@dataclass
class HomeSummary:
    counts: dict[str, int]  # orders by status, every status present
    total: int
    numbers_awaiting: int
    deadline_soon: list[Order]  # the first DEADLINE_SOON_SHOWN pending orders by deadline
    deadline_soon_total: int  # pending with a deadline in the next DEADLINE_SOON


def home_summary(*, now: datetime | None = None) -> HomeSummary:
    now = now or timezone.now()
    due = Q(status=Status.PENDING, deadline__gte=now, deadline__lte=now + DEADLINE_SOON)
    totals = Order.objects.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in Status.values},
        numbers_awaiting=Sum("numbers_awaiting", default=0),
        deadline_soon=Count("pk", filter=due),
    )
    counts = {status: totals[status] for status in Status.values}
    return HomeSummary(
        counts=counts,
        total=sum(counts.values()),
        numbers_awaiting=totals["numbers_awaiting"],
        deadline_soon=list(
            Order.objects.filter(due)
            .order_by("deadline")
            .only("id", "customer_reference", "deadline", "numbers_awaiting", "gone_at")[
                :DEADLINE_SOON_SHOWN
            ]
        ),
        deadline_soon_total=totals["deadline_soon"],
    )


@dataclass(frozen=True)
class SyncFreshness:
    """How fresh the cache is, as every page's header says it."""

    last_success: SyncRun | None  # the latest run that finished with nothing failed
    latest: SyncRun | None  # the latest finished run, successful or not
    stale_after: timedelta
    now: datetime

    @property
    def stale(self) -> bool:
        """No successful sync within SYNC_STALE_AFTER: what the pages show may be out of date."""
        if self.last_success is None:
            return True
        return self.now - self.last_success.finished_at > self.stale_after

    @property
    def stale_after_minutes(self) -> int:
        return int(self.stale_after.total_seconds() // 60)

    @property
    def latest_failed(self) -> bool:
        return self.latest is not None and not self.latest.ok


def sync_freshness(*, now: datetime | None = None) -> SyncFreshness:
    """The last successful and the latest sync: one query while the latest went well."""
    finished = SyncRun.objects.filter(finished_at__isnull=False).order_by("-finished_at")
    latest = finished.first()
    last_success = latest
    if latest is not None and not latest.ok:
        last_success = finished.filter(failed=0, error="").first()
    return SyncFreshness(
        last_success=last_success,
        latest=latest,
        stale_after=timedelta(minutes=settings.SYNC_STALE_AFTER),
        now=now or timezone.now(),
    )


# Open pages poll "did anything change since <token>?": the token is Order.changed_at in
# microseconds since the epoch (0 for never), an integer that travels in a URL as it is.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def change_token(changed_at: datetime | None) -> int:
    return 0 if changed_at is None else (changed_at - _EPOCH) // _MICROSECOND


def orders_change_token(*, order_id: uuid.UUID | None = None) -> int:
    """The token of the latest change to any order (or to one): what an open page starts from.
    Read before the page's own queries, so a change in between shows up at the next poll."""
    orders = Order.objects.all() if order_id is None else Order.objects.filter(pk=order_id)
    return change_token(orders.aggregate(latest=Max("changed_at"))["latest"])


def orders_changed_since(*, since: int, order_id: uuid.UUID | None = None) -> int | None:
    """The token of the latest change after `since` to any order (or to one), None when nothing
    changed: one range read of the changed_at index."""
    orders = Order.objects.filter(changed_at__gt=_EPOCH + since * _MICROSECOND)
    if order_id is not None:
        orders = orders.filter(pk=order_id)
    latest = orders.aggregate(latest=Max("changed_at"))["latest"]
    return None if latest is None else change_token(latest)
