"""Bulk fixes: one value applied to many orders' requirement by a background job, order by order."""

from django.db import models
from django.db.models import Q


class BulkFixStatus(models.TextChoices):
    RUNNING = "running"  # items are queued or being sent
    FINISHED = "finished"  # every item is done, refused or failed


class ItemState(models.TextChoices):
    QUEUED = "queued"
    # Handed to Telnyx and not yet recorded: after a worker died here, the order is fetched and
    # its value compared before anything is sent again.
    SENDING = "sending"
    DONE = "done"
    REFUSED = "refused", "Refused by Telnyx"
    FAILED = "failed", "Failed (can be retried)"


class BulkFix(models.Model):
    """One value for one requirement, sent to the orders of a queue group."""

    created_at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150)
    requirement_id = models.UUIDField(help_text="the requirement definition fixed")
    requirement_label = models.CharField(max_length=255, blank=True)
    value = models.TextField()
    # The queue group the orders came from.
    customer_reference = models.CharField(max_length=255, blank=True)
    country_code = models.CharField(max_length=2, blank=True)
    number_type = models.CharField(max_length=16, blank=True)
    # A digest of the requirement, the group and the value: two unfinished bulk fixes never share
    # one, so a second manager (or a double submit) cannot start the same fix twice.
    group_key = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=BulkFixStatus.choices, default=BulkFixStatus.RUNNING
    )
    # Telnyx answered 429: no order of this job is sent before then, whichever thread or worker.
    not_before = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group_key"],
                condition=Q(status="running"),
                name="bulkfix_one_running_per_group",
            )
        ]

    def __str__(self) -> str:
        return f"bulk fix {self.pk}: {self.requirement_label or self.requirement_id}"


class BulkFixItem(models.Model):
    """One order of a bulk fix, and what became of it."""

    bulk_fix = models.ForeignKey(BulkFix, on_delete=models.CASCADE, related_name="items")
    # A plain id, as in the audit trail: the job's record outlives the cached order.
    order_id = models.UUIDField()
    state = models.CharField(max_length=16, choices=ItemState.choices, default=ItemState.QUEUED)
    message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The last send may have reached Telnyx without its answer being recorded (the worker died,
    # or the call timed out): the order is fetched and compared before it is sent again, once a
    # Telnyx timeout has passed since `unsure_since`, a moment by which that send had surely begun.
    unsure = models.BooleanField(default=False)
    unsure_since = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["bulk_fix", "order_id"], name="bulkfixitem_order")
        ]
        indexes = [models.Index(fields=["bulk_fix", "state"], name="bulkfixitem_state")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.state}"
