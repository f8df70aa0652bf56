"""What the queue holds in all, filtered as its page is: the totals the queue and the home page
show. The whole queue's come from the tally kept beside the queue's rows (models.queue); a
filtered queue's are added up from its slices."""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from orders.models import QueueDeadlineHour, QueueSlice
from orders.selectors.queue import queue_slices
from orders.selectors.queue_cache import remembered
from orders.services.queue_rows import queue_rows_catch_up


@dataclass(frozen=True)
class QueueTotals:
    values: int  # requirement values to give or fix (the sum of the groups' numbers)
    numbers: int  # distinct phone numbers
    orders: int
    declined: int  # values Telnyx declined
    overdue: int  # numbers past their deadline


def _overdue(now: datetime) -> int:
    """The whole queue's numbers past their deadline: the hours gone by, then this hour's."""
    hour = QueueDeadlineHour.of(now)
    hours = QueueDeadlineHour.objects.filter(hour__lt=hour).aggregate(n=Sum("numbers"))["n"]
    this_hour = QueueSlice.objects.filter(deadline__gte=hour, deadline__lt=now)
    return (hours or 0) + (this_hour.aggregate(n=Sum("number_count"))["n"] or 0)


def _totals(*, now: datetime, token: int | None, **filters) -> tuple[QueueTotals, datetime | None]:
    """The totals, and the nearest deadline not yet passed: until then, `overdue` holds."""
    tally = queue_rows_catch_up(token=token)
    if not any(filters.values()):
        totals = QueueTotals(
            values=tally.values,
            numbers=tally.numbers,
            orders=tally.orders,
            declined=tally.declined,
            overdue=_overdue(now),
        )
        coming = QueueSlice.objects.filter(deadline__gte=now).order_by("deadline")
        return totals, coming.values_list("deadline", flat=True).first()
    declined_only = filters.get("declined_only", False)
    values = "declined_count" if declined_only else "value_count"
    # A number holds one value of a requirement; across requirements, it counts in the slice of
    # its first one.
    if filters.get("requirement"):
        numbers = values
    else:
        numbers = "declined_number_count" if declined_only else "number_count"
    found = queue_slices(now=now, **filters).aggregate(
        values=Coalesce(Sum(values), 0),
        numbers=Coalesce(Sum(numbers), 0),
        orders=Count("order", distinct=True),
        declined=Coalesce(Sum("declined_count"), 0),
        overdue=Coalesce(Sum(numbers, filter=Q(deadline__lt=now)), 0),
        next=Min("deadline", filter=Q(deadline__gte=now)),
    )
    return QueueTotals(**{k: v for k, v in found.items() if k != "next"}), found["next"]


def queue_totals(
    *, now: datetime | None = None, token: int | None = None, **filters
) -> QueueTotals:
    """What the queue holds, filtered as queue_values(). Given the orders' change token, from
    the cache while the token holds and no deadline has passed since."""
    now = now or timezone.now()
    if token is None or filters.get("deadline"):
        return _totals(now=now, token=token, **filters)[0]
    totals, _ = remembered(
        "totals",
        token=token,
        parts=filters,
        compute=partial(_totals, now=now, token=token, **filters),
        until=lambda value: value[1] or datetime.max.replace(tzinfo=UTC),
        now=now,
    )
    return totals
