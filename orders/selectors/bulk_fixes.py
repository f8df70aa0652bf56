"""Reads for the bulk fix pages and the home page's list of recent bulk fixes."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Count, Q
from django.utils import timezone

from orders.models import BulkFix, BulkFixItem, BulkFixStatus, ItemState, Order

RECENT_SHOWN = 5
# The states an order of a bulk fix ends in.
ENDED = (ItemState.DONE, ItemState.REFUSED, ItemState.FAILED)


def bulk_fix_candidates(*, order_ids: list[UUID]) -> list[Order]:
    """The cached orders of a queue group, in the group's order."""
    found = Order.objects.only(
        "id", "customer_reference", "created_at", "deadline", "phone_numbers_count", "gone_at"
    ).in_bulk(order_ids)
    return [found[order_id] for order_id in order_ids if order_id in found]


@dataclass
class BulkFixPage:
    bulk_fix: BulkFix
    counts: dict[str, int]  # every ItemState
    items: list[BulkFixItem]
    paused_until: datetime | None  # Telnyx's rate limit holds the sends back until then

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def ended(self) -> int:
        return sum(self.counts[state] for state in ENDED)

    @property
    def percent(self) -> int:
        return round(100 * self.ended / self.total) if self.total else 100

    @property
    def running(self) -> bool:
        return self.bulk_fix.status == BulkFixStatus.RUNNING


def bulk_fix_page(*, bulk_fix_id: int) -> BulkFixPage:
    """A bulk fix with its orders; raises BulkFix.DoesNotExist."""
    bulk_fix = BulkFix.objects.get(pk=bulk_fix_id)
    items = list(bulk_fix.items.order_by("id"))
    counts = dict.fromkeys(ItemState.values, 0)
    for item in items:
        counts[item.state] += 1
    not_before = bulk_fix.not_before
    paused = not_before is not None and not_before > timezone.now()
    return BulkFixPage(
        bulk_fix=bulk_fix,
        counts=counts,
        items=items,
        paused_until=not_before if paused and bulk_fix.status == BulkFixStatus.RUNNING else None,
    )


def recent_bulk_fixes() -> list[BulkFix]:
    """The latest bulk fixes, each with `total` and `ended` (orders done, refused or failed)
    and `failed`."""
    return list(
        BulkFix.objects.annotate(
            total=Count("items"),
            ended=Count("items", filter=Q(items__state__in=ENDED)),
            failed=Count("items", filter=Q(items__state=ItemState.FAILED)),
        ).order_by("-created_at", "-id")[:RECENT_SHOWN]
    )
