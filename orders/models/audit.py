"""The audit trail: one append-only entry for every attempt at an action."""

from django.db import models


class AuditOutcome(models.TextChoices):
    """How an attempt recorded in the audit trail ended."""

    # Written before Telnyx is called, completed once it answered or gave up: an attempt whose
    # request died meanwhile (a killed worker) still shows in the trail.
    PENDING = "pending", "Pending (no answer yet)"
    SUCCESS = "success"
    # A write that may have reached Telnyx with no answer saying whether it was applied.
    UNKNOWN = "unknown", "Outcome unknown"
    REFUSED = "refused", "Refused by Telnyx"
    FAILED = "failed", "Not reached / upstream error"
    GONE = "gone", "Gone upstream"
    FORBIDDEN = "forbidden", "Refused locally"


class AuditEntry(models.Model):
    """One attempt to change or refresh an order through the dashboard. Append-only: once
    written it is never edited, except for completing a pending entry once
    (orders.services.audit.audit_complete)."""

    class Action(models.TextChoices):
        UPDATE = "update", "Fix requirements"
        CANCEL = "cancel", "Cancel sub order"
        REFRESH = "refresh", "Refresh from Telnyx"
        ADDRESS_CREATE = "address_create", "Create an address"
        DOCUMENT_UPLOAD = "document_upload", "Upload a document"
        GROUP_ATTACH = "group_attach", "Attach a requirement group"
        COMMENT_POST = "comment_post", "Comment to Telnyx"
        COMMENT_READ = "comment_read", "Mark comments read"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept as text so the record still says who it was after the account is gone.
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=16, choices=Action.choices)
    # Plain ids, not foreign keys: the history outlives the cached rows it talks about.
    order_id = models.UUIDField(db_index=True)
    sub_order_id = models.UUIDField(null=True, blank=True)
    reason = models.TextField(blank=True)
    sent = models.JSONField(default=dict, blank=True, help_text="the request body sent to Telnyx")
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=16, choices=AuditOutcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    telnyx_code = models.CharField(max_length=32, blank=True)
    telnyx_detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.username} {self.action} {self.order_id} ({self.outcome})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("audit entries are append-only")
