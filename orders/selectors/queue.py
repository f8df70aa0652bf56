"""Reads for the queue: every requirement value someone can still act on, grouped so that one fix
clears many, and the totals the home page shows of it."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from uuid import UUID

from django.db.models import Count, F, Func, IntegerField, Max, Min, Q, QuerySet
from django.utils import timezone

from orders.deadlines import deadline_in
from orders.models import (
    REQUIREMENTS_CANCELLED,
    Comment,
    CommenterType,
    PhoneNumber,
    RequirementDefinition,
    RequirementValue,
    Status,
    SubOrder,
    ValueStatus,
)
from orders.selectors.queue_cache import remembered
from orders.selectors.stored_text import IdText, UtcText

# A value needs someone to act while it has no value yet or Telnyx declined it (a value under
# review or approved waits on nobody). The partial index value_needs_action holds these (the
# query must say it in the same words for SQLite to use it), and the approved are left out.
NEEDS_ACTION = Q(field_value="") | Q(status=ValueStatus.DECLINED)


def needs_action() -> QuerySet[RequirementValue]:
    """The requirement values that still need a value or a fix, on numbers that can still get
    one: the order is pending and not gone upstream, the number is pending and not cancelled,
    and so is its sub order (a number whose sub order is not known counts on its own status).
    Values approved, or under review, wait on nobody.

    The one definition of the queue: its groups, its export, what a bulk fix covers and the home
    page's counts all start here, so they agree exactly.
    """
    pending_sub_orders = SubOrder.objects.order_by().filter(status=Status.PENDING).values("id")
    return (
        RequirementValue.objects.order_by()
        .filter(
            NEEDS_ACTION,
            Q(phone_number__sub_order__isnull=True)
            | Q(phone_number__sub_order__in=pending_sub_orders),
            phone_number__order__status=Status.PENDING,
            phone_number__order__gone_at__isnull=True,
            phone_number__status=Status.PENDING,
        )
        .exclude(status=ValueStatus.APPROVED)
        .exclude(phone_number__requirements_status=REQUIREMENTS_CANCELLED)
    )


def queue_values(
    *,
    customer_reference: str = "",
    country: str = "",
    number_type: str = "",
    requirement: UUID | None = None,
    deadline: str = "",
    declined_only: bool = False,
    now: datetime | None = None,
) -> QuerySet[RequirementValue]:
    """needs_action() narrowed by the queue's filters: a piece of the customer reference (any
    case), a country, a number type, a requirement, a deadline window (DeadlineWindow),
    declined values only."""
    values = needs_action()
    if customer_reference:
        reference = Q(phone_number__order__customer_reference__icontains=customer_reference)
        values = values.filter(reference)
    if country:
        values = values.filter(phone_number__country_code=country)
    if number_type:
        values = values.filter(phone_number__phone_number_type=number_type)
    if requirement:
        values = values.filter(requirement_id=requirement)
    if deadline:
        values = values.filter(deadline_in(deadline, field="phone_number__deadline", now=now))
    if declined_only:
        values = values.filter(status=ValueStatus.DECLINED)
    return values


# The queue's sort keys (anything else: the nearest deadline first, so the overdue come first).
SORTS = {
    "deadline": (F("deadline").asc(nulls_last=True),),
    "-deadline": (F("deadline").desc(nulls_last=True),),
    "-numbers": ("-numbers", F("deadline").asc(nulls_last=True)),
}
DEFAULT_SORT = "deadline"
# What a group is: the same requirement, for numbers of one country and type, in orders with the
# same customer reference.
GROUP_KEY = ("customer_reference", "country", "number_type", "requirement")


def queue_groups(*, sort: str = DEFAULT_SORT, **filters) -> QuerySet:
    """The queue's groups (dicts: GROUP_KEY, numbers, orders, declined, deadline - the nearest
    one -, a_number and declined_number, phone number ids), filtered as queue_values() and
    sorted: one aggregate query, of which queue_page() reads a page."""
    return (
        queue_values(**filters)
        .values(
            customer_reference=F("phone_number__order__customer_reference"),
            country=F("phone_number__country_code"),
            number_type=F("phone_number__phone_number_type"),
            requirement=F("requirement_id"),
        )
        .annotate(
            # A number holds one value per requirement: a group's values are its numbers.
            numbers=Count("pk"),
            orders=Count("phone_number__order", distinct=True),
            declined=Count("pk", filter=Q(status=ValueStatus.DECLINED)),
            deadline=Min("phone_number__deadline"),
            # A number of the group (of its one order, when it has one), and one with a declined
            # value (whose sub order has Telnyx's reason): integers, cheap to aggregate.
            a_number=Max("phone_number"),
            declined_number=Max("phone_number", filter=Q(status=ValueStatus.DECLINED)),
        )
        .order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]), *GROUP_KEY)
    )


@dataclass(frozen=True)
class QueueGroup:
    customer_reference: str
    country: str
    number_type: str
    requirement_id: UUID
    label: str  # the requirement's, or "" when its definition is not cached
    numbers: int
    orders: int
    declined: int
    deadline: datetime | None
    reason: str  # Telnyx's latest comment on a sub order with a declined value, or ""
    order_id: UUID | None  # the group's one order; None when it has several

    @property
    def params(self) -> dict[str, str]:
        """The group as GET parameters: the queue filtered to it, or a bulk fix of it."""
        return {
            "customer_reference": self.customer_reference,
            "country": self.country,
            "number_type": self.number_type,
            "requirement": str(self.requirement_id),
        }

    @property
    def order_list_params(self) -> dict[str, str]:
        """The order list filtered to the group's orders, and maybe a few more (its search
        finds references by a piece of them)."""
        return {
            "q": self.customer_reference,
            "country": self.country,
            "number_type": self.number_type,
        }


def _latest_reasons(sub_order_ids: set[UUID]) -> dict[UUID, str]:
    """Telnyx's latest comment on each sub order, in one query (none for no sub order)."""
    latest: dict[UUID, str] = {}
    if not sub_order_ids:
        return latest
    comments = (
        Comment.objects.filter(record_id__in=sub_order_ids, commenter_type=CommenterType.ADMIN)
        .order_by("record_id", "-created_at")
        .values_list("record_id", "body")
    )
    for record_id, body in comments:
        latest.setdefault(record_id, body)
    return latest


def _details(rows: list[dict]) -> list[QueueGroup]:
    """Rows of queue_groups() with each requirement's label, the order of a group of one, and
    Telnyx's latest reason: three queries, whatever the number of groups."""
    requirement_ids = {row["requirement"] for row in rows}
    labels = dict(
        RequirementDefinition.objects.filter(id__in=requirement_ids).values_list("id", "label")
    )
    number_ids = {row["a_number"] for row in rows} | {row["declined_number"] for row in rows}
    # A number gone since the groups were read (a sync in between) is in neither.
    order_of: dict[int, UUID] = {}
    sub_order_of: dict[int, UUID | None] = {}
    found = PhoneNumber.objects.filter(pk__in=number_ids - {None})
    for number_id, order_id, sub_order_id in found.values_list("pk", "order_id", "sub_order_id"):
        order_of[number_id], sub_order_of[number_id] = order_id, sub_order_id
    declined_sub_orders = {sub_order_of.get(row["declined_number"]) for row in rows}
    reasons = _latest_reasons(declined_sub_orders - {None})
    return [
        QueueGroup(
            customer_reference=row["customer_reference"],
            country=row["country"],
            number_type=row["number_type"],
            requirement_id=row["requirement"],
            label=labels.get(row["requirement"], ""),
            numbers=row["numbers"],
            orders=row["orders"],
            declined=row["declined"],
            deadline=row["deadline"],
            reason=reasons.get(sub_order_of.get(row["declined_number"]), ""),
            order_id=order_of.get(row["a_number"]) if row["orders"] == 1 else None,
        )
        for row in rows
    ]


class _GroupsTotal(Func):
    """How many groups the whole grouped query has, on each row of a page of it: the page and
    its paginator's count in one query, which reads the queue once rather than twice."""

    template = "COUNT(*) OVER ()"
    # Computed over the groups, so not something to group by.
    contains_aggregate = True
    output_field = IntegerField()


@dataclass(frozen=True)
class QueuePage:
    groups: list[QueueGroup]
    number: int  # from 1
    count: int  # groups in the whole filtered queue
    per_page: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def _page_rows(*, number: int, per_page: int, sort: str, **filters) -> tuple[int, list[dict]]:
    groups = queue_groups(sort=sort, **filters).annotate(groups_total=_GroupsTotal())
    rows = list(groups[(number - 1) * per_page : number * per_page])
    if not rows and number > 1:
        number, rows = 1, list(groups[:per_page])
    return number, rows


def queue_page(
    *,
    number: int = 1,
    per_page: int = 50,
    sort: str = DEFAULT_SORT,
    token: int | None = None,
    **filters,
) -> QueuePage:
    """Page `number` of queue_groups() (past the last page: the first), each group with its
    requirement's label and Telnyx's latest reason. Given the orders' change token (read before
    this), the aggregate's rows come from the cache while the token holds (not for a deadline
    window, which moves with the clock)."""
    number = max(1, number)
    parts = {"number": number, "per_page": per_page, "sort": sort, **filters}
    if token is None or filters.get("deadline"):
        number, rows = _page_rows(**parts)
    else:
        compute = partial(_page_rows, **parts)
        number, rows = remembered("page", token=token, parts=parts, compute=compute)
    count = rows[0]["groups_total"] if rows else 0
    return QueuePage(groups=_details(rows), number=number, count=count, per_page=per_page)


@dataclass(frozen=True)
class QueueTotals:
    values: int  # requirement values to give or fix (the sum of the groups' numbers)
    numbers: int  # distinct phone numbers
    orders: int
    declined: int  # values Telnyx declined
    overdue: int  # numbers past their deadline


def _totals(*, now: datetime, **filters) -> tuple[QueueTotals, datetime | None]:
    """The totals, and the nearest deadline not yet passed: until then, `overdue` holds."""
    totals = queue_values(now=now, **filters).aggregate(
        values=Count("pk"),
        numbers=Count("phone_number", distinct=True),
        orders=Count("phone_number__order", distinct=True),
        declined=Count("pk", filter=Q(status=ValueStatus.DECLINED)),
        overdue=Count("phone_number", distinct=True, filter=Q(phone_number__deadline__lt=now)),
        next_deadline=Min("phone_number__deadline", filter=Q(phone_number__deadline__gte=now)),
    )
    next_deadline = totals.pop("next_deadline")
    return QueueTotals(**totals), next_deadline


def queue_totals(
    *, now: datetime | None = None, token: int | None = None, **filters
) -> QueueTotals:
    """What the queue holds, filtered as queue_values(): one aggregate query. Given the orders'
    change token, from the cache while the token holds and no deadline has passed since."""
    now = now or timezone.now()
    if token is None or filters.get("deadline"):
        return _totals(now=now, **filters)[0]
    totals, _ = remembered(
        "totals",
        token=token,
        parts=filters,
        compute=partial(_totals, now=now, **filters),
        until=lambda value: value[1] or datetime.max.replace(tzinfo=UTC),
        now=now,
    )
    return totals


def queue_group_orders(
    *, customer_reference: str, country: str, number_type: str, requirement_id: UUID | str
) -> list[UUID]:
    """The ids of the orders one group of the queue covers (its key, exactly), in id order."""
    return list(
        needs_action()
        .filter(
            phone_number__order__customer_reference=customer_reference,
            phone_number__country_code=country,
            phone_number__phone_number_type=number_type,
            requirement_id=requirement_id,
        )
        .values_list("phone_number__order_id", flat=True)
        .distinct()
        .order_by("phone_number__order_id")
    )


# The export's row: a requirement value's fields by name, ids and times as text
# (orders.selectors.stored_text).
EXPORT_FIELDS = {
    "deadline": UtcText("phone_number__deadline"),
    "customer_reference": F("phone_number__order__customer_reference"),
    "order": IdText("phone_number__order_id"),
    "e164": F("phone_number__phone_number"),
    "country": F("phone_number__country_code"),
    "number_type": F("phone_number__phone_number_type"),
    "requirement": IdText("requirement_id"),
}


def queue_export_rows(*, sort: str = DEFAULT_SORT, **filters) -> Iterator[tuple]:
    """A row per value in the filtered queue (named tuples: EXPORT_FIELDS, field_value and
    status), nearest deadline first, fetched in chunks: the export streams them without holding
    them."""
    deadline = F("phone_number__deadline")
    latest_first = sort == "-deadline"
    nearest = deadline.desc(nulls_last=True) if latest_first else deadline.asc(nulls_last=True)
    return (
        queue_values(**filters)
        .annotate(**EXPORT_FIELDS)
        .order_by(nearest, "phone_number__order_id", "e164", "requirement_id")
        .values_list(*EXPORT_FIELDS, "field_value", "status", named=True)
        .iterator(chunk_size=2000)
    )
