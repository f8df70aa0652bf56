from uuid import UUID

from django.db.models import QuerySet

from webhooks.models import WebhookEvent


def events_for_order(*, order_id: UUID | str) -> QuerySet[WebhookEvent]:
    """The webhook events about one order, newest first: the order page's history."""
    return WebhookEvent.objects.filter(order_id=order_id).order_by("-received_at", "-id")
