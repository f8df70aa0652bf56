"""Reads for the queue's pages: its groups, so that one fix clears many, a page at a time.

The groups are kept as rows of their own (models.queue), brought up to the cache by
services.queue_rows.queue_rows_catch_up() before they are read: a page reads a page of rows, at
any number of orders. Which values are in the queue at all is selectors.queue_scope's."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from uuid import UUID

from django.db.models import F, Q, QuerySet

from orders.models import (
    Comment,
    CommenterType,
    PhoneNumber,
    QueueGroupRow,
    QueueSlice,
    QueueValue,
    RequirementDefinition,
    ValueStatus,
)
from orders.selectors.number_groups import RequirementState
from orders.selectors.queue_cache import remembered
from orders.selectors.queue_scope import QueueColumns, queue_narrowed
from orders.selectors.stored_text import IdText, UtcText
from orders.selectors.streaming import rows_streamed
from orders.services.queue_rows import queue_rows_catch_up

DEFAULT_SORT = "deadline"
# What a group is: the same requirement, for numbers of one country and type, in orders with the
# same customer reference.
GROUP_KEY = ("customer_reference", "country", "number_type", "requirement")
_NEAREST = F("nearest_deadline")
# The queue's sort keys (anything else: the nearest deadline first, so the overdue come first),
# then GROUP_KEY. deadline_order is the nearest deadline, LAST for none: what the group rows'
# index queuegrouprow_deadline holds, so a page of the default sort reads a page of rows.
SORTS = {
    "deadline": ("deadline_order",),
    "-deadline": (_NEAREST.desc(nulls_last=True),),
    "-numbers": ("-numbers", "deadline_order"),
}
# Summed from slices, groups have no deadline_order.
_SLICE_SORTS = {**SORTS, "deadline": (_NEAREST.asc(nulls_last=True),)}
_SLICE_SORTS["-numbers"] = ("-numbers", *_SLICE_SORTS["deadline"])
# Filters that keep some of a group's values and not others: its figures are added up from its
# slices rather than read from its row.
VALUE_FILTERS = ("deadline", "declined_only")


# The queue's own rows hold what its filters look at under the same names.
_ROW_COLUMNS = {
    "customer_reference": "customer_reference",
    "country": "country",
    "number_type": "number_type",
    "deadline": "deadline",
}
_SLICE_COLUMNS = QueueColumns(**_ROW_COLUMNS, declined=Q(declined_count__gt=0))
_VALUE_ROW_COLUMNS = QueueColumns(**_ROW_COLUMNS, declined=Q(status=ValueStatus.DECLINED))
# Read only without VALUE_FILTERS, which a group's row cannot answer.
_GROUP_COLUMNS = QueueColumns(
    **{**_ROW_COLUMNS, "deadline": "nearest_deadline"}, declined=Q(declined__gt=0)
)


def queue_slices(**filters) -> QuerySet[QueueSlice]:
    """The queue's slices, filtered as queue_values(): a slice is the numbers of one order with
    one deadline, so each filter keeps or drops it whole."""
    return queue_narrowed(QueueSlice.objects.order_by(), _SLICE_COLUMNS, **filters)


def queue_groups(*, sort: str = DEFAULT_SORT, **filters) -> QuerySet:
    """The queue's groups (dicts: GROUP_KEY, numbers, orders, declined, nearest_deadline,
    last_number and last_declined_number, phone number ids), filtered as queue_values() and
    sorted: their rows, or added up from their slices for VALUE_FILTERS. Read after
    queue_rows_catch_up()."""
    sort = sort if sort in SORTS else DEFAULT_SORT
    if any(filters.get(name) for name in VALUE_FILTERS):
        declined_only = filters.get("declined_only", False)
        groups = (
            queue_slices(**filters)
            .values(*GROUP_KEY[:3], requirement=F("requirement_id"))
            .annotate(**QueueSlice.group_figures(declined_only=declined_only))
        )
        return groups.order_by(*_SLICE_SORTS[sort], *GROUP_KEY)
    groups = queue_narrowed(QueueGroupRow.objects.all(), _GROUP_COLUMNS, **filters)
    return groups.values(
        *GROUP_KEY[:3],
        "numbers",
        "orders",
        "declined",
        "nearest_deadline",
        "last_number",
        "last_declined_number",
        requirement=F("requirement_id"),
    ).order_by(*SORTS[sort], *GROUP_KEY[:3], "requirement_id")


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
    number_ids = {row["last_number"] for row in rows} | {
        row["last_declined_number"] for row in rows
    }
    # A number gone since the groups were read (a sync in between) is in neither.
    order_of: dict[int, UUID] = {}
    sub_order_of: dict[int, UUID | None] = {}
    found = PhoneNumber.objects.filter(pk__in=number_ids - {None})
    for number_id, order_id, sub_order_id in found.values_list("pk", "order_id", "sub_order_id"):
        order_of[number_id], sub_order_of[number_id] = order_id, sub_order_id
    declined_sub_orders = {sub_order_of.get(row["last_declined_number"]) for row in rows}
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
            deadline=row["nearest_deadline"],
            reason=reasons.get(sub_order_of.get(row["last_declined_number"]), ""),
            order_id=order_of.get(row["last_number"]) if row["orders"] == 1 else None,
        )
        for row in rows
    ]


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


def _page_rows(
    *, number: int, per_page: int, sort: str, token: int | None, **filters
) -> tuple[int, int, list[dict]]:
    """The page's number (past the last page: the first), the filtered queue's groups and the
    page's rows of queue_groups()."""
    tally = queue_rows_catch_up(token=token)
    groups = queue_groups(sort=sort, **filters)
    count = groups.count() if any(filters.values()) else tally.groups
    if (number - 1) * per_page >= count:
        number = 1
    return number, count, list(groups[(number - 1) * per_page : number * per_page])


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
    this), the groups' rows come from the cache while the token holds (not for a deadline
    window, which moves with the clock)."""
    number = max(1, number)
    parts = {"number": number, "per_page": per_page, "sort": sort, **filters}
    if token is None or filters.get("deadline"):
        number, count, rows = _page_rows(token=token, **parts)
    else:
        compute = partial(_page_rows, token=token, **parts)
        number, count, rows = remembered("page", token=token, parts=parts, compute=compute)
    return QueuePage(groups=_details(rows), number=number, count=count, per_page=per_page)


# The export's row: a queued value's fields by name, ids and times as text the database makes
# (orders.selectors.stored_text).
EXPORT_FIELDS = {
    "deadline_utc": UtcText("deadline"),
    "order_text": IdText("order_id"),
    "requirement_text": IdText("requirement_id"),
}


def queue_export_rows(*, sort: str = DEFAULT_SORT, **filters) -> Iterator[tuple]:
    """A row per value in the filtered queue (named tuples: EXPORT_FIELDS, customer_reference,
    phone_number, country, number_type, status), nearest deadline first, fetched in chunks: the
    export streams them without holding them. One pass over the queue's values, in the order
    their index holds (the latest deadline first is sorted)."""
    queue_rows_catch_up()
    values = queue_narrowed(QueueValue.objects.order_by(), _VALUE_ROW_COLUMNS, **filters)
    if sort == "-deadline":
        nearest = F("deadline").desc(nulls_last=True)
    else:
        nearest = F("deadline_order").asc()
    return rows_streamed(
        values.annotate(**EXPORT_FIELDS)
        .order_by(nearest, "order_id", "phone_number", "requirement_id")
        .values_list(
            *EXPORT_FIELDS,
            "customer_reference",
            "phone_number",
            "country",
            "number_type",
            "status",
            named=True,
        )
    )


def queue_state(status: str) -> RequirementState:
    """A queued value's state: declined, or awaiting a value (needs_action() holds no other)."""
    return (
        RequirementState.DECLINED if status == ValueStatus.DECLINED else RequirementState.AWAITING
    )
