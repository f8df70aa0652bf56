from django.contrib import admin

from ordersite.admin import ReadOnlyAdmin
from webhooks.models import WebhookEvent


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    """Read only: the record of what Telnyx sent is evidence, not something to edit."""

    list_display = ["received_at", "event_type", "outcome", "order_id", "event_id", "attempt"]
    list_filter = ["outcome", "event_type"]
    search_fields = ["order_id", "event_id"]
    date_hierarchy = "received_at"
    ordering = ["-received_at"]
