"""The queue's scope: which requirement values still need someone to act, one by one, narrowed
by the queue's filters. Its groups and totals (selectors.queue) are kept as rows of their own,
derived from this by services.queue_rows, as are its values as the export reads them; bulk
fixes read it directly."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Q, QuerySet

from orders.deadlines import deadline_in
from orders.models import (
    REQUIREMENTS_CANCELLED,
    PhoneNumber,
    RequirementValue,
    Status,
    SubOrder,
    ValueStatus,
)

# A value needs someone to act while it has no value yet or Telnyx declined it (a value under
# review or approved waits on nobody). The partial index value_needs_action holds these (the
# query must say it in the same words for SQLite to use it), and the approved are left out.
NEEDS_ACTION = Q(field_value="") | Q(status=ValueStatus.DECLINED)


def needs_action(*, order_ids: Sequence[UUID] | None = None) -> QuerySet[RequirementValue]:
    """The requirement values that still need a value or a fix, on numbers that can still get
    one: the order is pending and not gone upstream, the number is pending and not cancelled,
    and so is its sub order (a number whose sub order is not known counts on its own status).
    Values approved, or under review, wait on nobody. With `order_ids`, those orders' only,
    read from their numbers rather than by going through every pending order.

    The one definition of the queue: its groups, its export, what a bulk fix covers and the home
    page's counts all start here, so they agree exactly.
    """
    values = RequirementValue.objects.order_by()
    if order_ids is None:
        # Read once as a list: cheaper than a join per number across the whole queue.
        pending = SubOrder.objects.order_by().filter(status=Status.PENDING).values("id")
        sub_order_pending = Q(phone_number__sub_order__in=pending)
    else:
        numbers = PhoneNumber.objects.order_by().filter(order_id__in=order_ids)
        values = values.filter(phone_number__in=numbers.values("pk"))
        sub_order_pending = Q(phone_number__sub_order__status=Status.PENDING)
    return (
        values.filter(
            NEEDS_ACTION,
            Q(phone_number__sub_order__isnull=True) | sub_order_pending,
            phone_number__order__status=Status.PENDING,
            phone_number__order__gone_at__isnull=True,
            phone_number__status=Status.PENDING,
        )
        .exclude(status=ValueStatus.APPROVED)
        .exclude(phone_number__requirements_status=REQUIREMENTS_CANCELLED)
    )


@dataclass(frozen=True)
class QueueColumns:
    """Where a queryset holds what the queue's filters look at."""

    customer_reference: str
    country: str
    number_type: str
    deadline: str
    declined: Q  # the rows that hold a declined value


# The cache's requirement values (needs_action()), through their number and order.
VALUE_COLUMNS = QueueColumns(
    customer_reference="phone_number__order__customer_reference",
    country="phone_number__country_code",
    number_type="phone_number__phone_number_type",
    deadline="phone_number__deadline",
    declined=Q(status=ValueStatus.DECLINED),
)


def queue_narrowed(
    rows: QuerySet,
    columns: QueueColumns,
    *,
    customer_reference: str = "",
    country: str = "",
    number_type: str = "",
    requirement: UUID | None = None,
    deadline: str = "",
    declined_only: bool = False,
    now: datetime | None = None,
) -> QuerySet:
    """`rows` narrowed by the queue's filters: a piece of the customer reference (any case), a
    country, a number type, a requirement, a deadline window (DeadlineWindow), declined values
    only; `columns` says where the rows hold each."""
    if customer_reference:
        rows = rows.filter(**{f"{columns.customer_reference}__icontains": customer_reference})
    if country:
        rows = rows.filter(**{columns.country: country})
    if number_type:
        rows = rows.filter(**{columns.number_type: number_type})
    if requirement:
        rows = rows.filter(requirement_id=requirement)
    if deadline:
        rows = rows.filter(deadline_in(deadline, field=columns.deadline, now=now))
    if declined_only:
        rows = rows.filter(columns.declined)
    return rows


def queue_values(**filters) -> QuerySet[RequirementValue]:
    """needs_action() narrowed by the queue's filters (queue_narrowed())."""
    return queue_narrowed(needs_action(), VALUE_COLUMNS, **filters)


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
