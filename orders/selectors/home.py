"""Reads for the home page: orders by status, the queue's totals, the deadlines coming up, unread
comments."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from orders.models import Order, Status
from orders.selectors.freshness import orders_change_token
from orders.selectors.queue_totals import QueueTotals, queue_totals

DEADLINE_SOON = timedelta(hours=48)
DEADLINE_SOON_SHOWN = 20
UNREAD_SHOWN = 10


@dataclass
class HomeSummary:
    counts: dict[str, int]  # orders by status, every status present
    total: int
    queue: QueueTotals  # what the queue page shows unfiltered, counted by the same query
    deadline_soon: list[Order]  # the first DEADLINE_SOON_SHOWN pending orders by deadline
    deadline_soon_total: int  # pending with a deadline in the next DEADLINE_SOON
    unread_comments: int  # Telnyx's comments nobody marked read, on every order
    unread_orders: list[Order]  # the UNREAD_SHOWN with the most


def home_summary(*, now: datetime | None = None) -> HomeSummary:
    now = now or timezone.now()
    # Read first: a change while the page is built is counted at the next view.
    token = orders_change_token()
    due = Q(status=Status.PENDING, deadline__gte=now, deadline__lte=now + DEADLINE_SOON)
    totals = Order.objects.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in Status.values},
        deadline_soon=Count("pk", filter=due),
        unread_comments=Sum("unread_comments", default=0),
    )
    counts = {status: totals[status] for status in Status.values}
    return HomeSummary(
        counts=counts,
        total=sum(counts.values()),
        queue=queue_totals(now=now, token=token),
        deadline_soon=list(
            Order.objects.filter(due)
            .order_by("deadline")
            .only("id", "customer_reference", "deadline", "numbers_awaiting", "gone_at")[
                :DEADLINE_SOON_SHOWN
            ]
        ),
        deadline_soon_total=totals["deadline_soon"],
        unread_comments=totals["unread_comments"],
        unread_orders=list(
            Order.objects.filter(unread_comments__gt=0)
            .order_by("-unread_comments", "-created_at")
            .only("id", "customer_reference", "unread_comments", "status")[:UNREAD_SHOWN]
        ),
    )
