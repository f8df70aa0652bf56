"""The record of every Telnyx webhook event we accepted, and what it did to the cache."""

from django.db import models
from django.utils import timezone


class Outcome(models.TextChoices):
    APPLIED = "applied", "applied"
    STALE = "stale", "stale (the cache held a newer version)"
    DUPLICATE_IGNORED = "duplicate-ignored", "duplicate (the cache already held it)"
    REFRESHED = "refreshed", "refreshed from Telnyx (partial payload)"
    QUEUED = "queued", "queued (a worker refreshes the order from Telnyx)"
    FAILED = "failed", "failed"
    IGNORED = "ignored", "ignored (event type not handled)"


class WebhookEvent(models.Model):
    # Telnyx's event id; unique so that a repeated delivery, even a concurrent one, is stored
    # and applied once.
    event_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=100)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    # No foreign key: an event may name an order we have not cached yet, or one long gone.
    order_id = models.UUIDField(null=True, blank=True)
    attempt = models.PositiveIntegerField(null=True, blank=True, help_text="Telnyx's meta.attempt")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    detail = models.TextField(blank=True)
    payload = models.JSONField()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["order_id", "-received_at"], name="webhookevent_order"),
            models.Index(fields=["-received_at"], name="webhookevent_received"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.outcome})"
