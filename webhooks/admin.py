from django.contrib import admin
from django.http import HttpRequest

from webhooks.models import WebhookEvent


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    """Read only: the record of what Telnyx sent is evidence, not something to edit."""

    list_display = ["received_at", "event_type", "outcome", "order_id", "event_id", "attempt"]
    list_filter = ["outcome", "event_type"]
    search_fields = ["order_id", "event_id"]
    date_hierarchy = "received_at"
    ordering = ["-received_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WebhookEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: WebhookEvent | None = None) -> bool:
        return False
