from uuid import UUID

from django.db.models import QuerySet

from orders.selectors.history import HistoryEntry
from webhooks.models import WebhookEvent


def events_for_order(*, order_id: UUID | str) -> QuerySet[WebhookEvent]:
    """The webhook events about one order, newest first."""
    return WebhookEvent.objects.filter(order_id=order_id).order_by("-received_at", "-id")


def _event_line(event: WebhookEvent) -> HistoryEntry:
    return HistoryEntry(
        at=event.received_at,
        who="Telnyx (webhook)",
        what=event.event_type,
        outcome=event.outcome,
        outcome_label=event.get_outcome_display(),
        detail=event.detail,
    )


def order_history_events(*, order_id: UUID, limit: int) -> list[HistoryEntry]:
    """The latest `limit` webhook events about an order as lines of its history, newest first
    (the history source the webhooks app registers, see apps.py)."""
    return [_event_line(event) for event in events_for_order(order_id=order_id)[:limit]]
