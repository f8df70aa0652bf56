"""Reads for the pages: the order list and its search, one order in detail, the home summary.

Every function runs a fixed number of queries whatever the data size, and leaves the database
specific parts (the phone number search index) to this module.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone

from orders.models import (
    Order,
    PhoneNumber,
    RequirementDefinition,
    RequirementValue,
    Status,
    SubOrder,
    SyncRun,
)

# The sort keys the list accepts (anything else falls back to the default, newest first).
SORTS = {
    "created": ("created_at",),
    "-created": ("-created_at",),
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


def order_search_ids(*, q: str) -> QuerySet:
    """Ids of the orders the search box finds for `q`, as a subquery.

    An order matches by its full id, by a case-insensitive piece of its customer reference, or
    by any run of at least three digits of one of its phone numbers (spaces, dashes,
    parentheses and a leading '+' ignored).
    """
    q = q.strip()
    orders = Order.objects.order_by()
    order_id = _parse_uuid(q)
    if order_id is not None:
        return orders.filter(id=order_id).values_list("id", flat=True)
    by_reference = orders.filter(customer_reference__icontains=q).values_list("id", flat=True)
    digits = search_digits(q)
    if digits is None:
        return by_reference
    # A UNION lets each part use its own index; an OR of the two makes both databases test
    # every order against the number subquery.
    numbers = _numbers_containing(digits).order_by().values_list("order_id", flat=True)
    return by_reference.union(numbers).order_by()


def _parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


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
) -> QuerySet[Order]:
    """The orders for the list page, filtered, searched and sorted (dates inclusive)."""
    orders = Order.objects.all()
    if status:
        orders = orders.filter(status=status)
    if requirements_met is not None:
        orders = orders.filter(requirements_met=requirements_met)
    if country or number_type:
        # Country and type of the same sub order: "CH local" means CH's local numbers.
        sub_orders = SubOrder.objects.filter(order=OuterRef("pk"))
        if country:
            sub_orders = sub_orders.filter(country_code=country)
        if number_type:
            sub_orders = sub_orders.filter(phone_number_type=number_type)
        orders = orders.filter(Exists(sub_orders))
    if created_from:
        orders = orders.filter(created_at__gte=_start_of_day(created_from))
    if created_to:
        orders = orders.filter(created_at__lt=_start_of_day(created_to + timedelta(days=1)))
    if q.strip():
        search = order_search_ids(q=q)
        found = list(search[: SEARCH_IDS_LIMIT + 1])
        orders = orders.filter(id__in=found if len(found) <= SEARCH_IDS_LIMIT else search)
    return orders.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


@dataclass
class SubOrderDetail:
    sub_order: SubOrder
    numbers: list[PhoneNumber]

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
    unassigned_numbers: list[PhoneNumber] = field(default_factory=list)


def order_detail(*, order_id: uuid.UUID) -> OrderDetail:
    """One order with its sub orders, numbers and requirements (each value carries its
    `definition`, or None when it was never fetched). Raises Order.DoesNotExist."""
    numbers = PhoneNumber.objects.order_by("phone_number").prefetch_related(
        Prefetch("requirements", queryset=RequirementValue.objects.order_by("id"))
    )
    order = Order.objects.prefetch_related(
        Prefetch("sub_orders", queryset=SubOrder.objects.order_by("country_code", "created_at")),
        Prefetch("phone_numbers", queryset=numbers),
    ).get(pk=order_id)

    values = [value for number in order.phone_numbers.all() for value in number.requirements.all()]
    # requirement_id is a plain UUID (definitions arrive separately from Telnyx): one query.
    definitions = RequirementDefinition.objects.in_bulk({v.requirement_id for v in values})
    for value in values:
        value.definition = definitions.get(value.requirement_id)

    by_sub_order: dict[uuid.UUID | None, list[PhoneNumber]] = {}
    for number in order.phone_numbers.all():
        by_sub_order.setdefault(number.sub_order_id, []).append(number)
    return OrderDetail(
        order=order,
        sub_orders=[
            SubOrderDetail(sub_order=sub, numbers=by_sub_order.get(sub.id, []))
            for sub in order.sub_orders.all()
        ],
        unassigned_numbers=by_sub_order.get(None, []),
    )


@dataclass
class HomeSummary:
    counts: dict[str, int]  # orders by status, every status present
    total: int
    numbers_awaiting: int
    deadline_soon: list[Order]  # the first DEADLINE_SOON_SHOWN pending orders by deadline
    deadline_soon_total: int  # pending with a deadline within DEADLINE_SOON (or already past)
    last_sync: SyncRun | None  # the latest finished run
    now: datetime  # what "overdue" is measured against


def home_summary(*, now: datetime | None = None) -> HomeSummary:
    now = now or timezone.now()
    # Past deadlines count too: the cache may not have heard yet that Telnyx cancelled them.
    due = Q(status=Status.PENDING, deadline__lte=now + DEADLINE_SOON)
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
        last_sync=SyncRun.objects.filter(finished_at__isnull=False)
        .order_by("-finished_at")
        .first(),
        now=now,
    )
