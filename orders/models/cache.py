"""The local cache of Telnyx number orders: orders, sub orders, numbers, requirement values and
the definitions of the requirements.

Every cached row keeps Telnyx's `updated_at` (what version of the upstream record it is) and our
own `synced_at` (when we last stored it). Ids are Telnyx's, except for phone numbers and
requirement values, which get a small integer key so that joins and the SQLite full-text
index (keyed on rowid) stay cheap.
"""

from django.db import models


class Status(models.TextChoices):
    PENDING = "pending"
    SUCCESS = "success"
    FAILURE = "failure"


class Order(models.Model):
    id = models.UUIDField(primary_key=True, help_text="Telnyx's number order id")
    status = models.CharField(max_length=32, choices=Status.choices)
    customer_reference = models.CharField(max_length=255, blank=True)
    phone_numbers_count = models.PositiveIntegerField(default=0)
    requirements_met = models.BooleanField(default=False)
    billing_group_id = models.CharField(max_length=64, blank=True)
    connection_id = models.CharField(max_length=64, blank=True)
    messaging_profile_id = models.CharField(max_length=64, blank=True)
    # Denormalised from the numbers at refresh time so the list never joins them.
    countries = models.CharField(max_length=255, blank=True, help_text="e.g. 'CH DE'")
    numbers_awaiting = models.PositiveIntegerField(
        default=0, help_text="numbers whose requirements are not met"
    )
    deadline = models.DateTimeField(null=True, blank=True, help_text="earliest number deadline")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    synced_at = models.DateTimeField()
    # Telnyx answered 404 for this order: kept for the record, flagged in the UI.
    gone_at = models.DateTimeField(null=True, blank=True)
    # When what we show of the order last changed (not when it was last synced): open pages
    # ask "anything changed since T?" of this index, so a sync that changes nothing does not
    # make them reload. Null for orders not changed since the field was added.
    changed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Denormalised from the cached comments of its sub orders, so the list and the home page
    # count them without a join: Telnyx's comments not yet marked read. A database default,
    # since the sync's upsert inserts orders with only the columns Telnyx's answer fills.
    unread_comments = models.PositiveIntegerField(db_default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # With the id, which settles ties, a page's ids come from this index alone.
            models.Index(fields=["-created_at", "-id"], name="order_created_id"),
            models.Index(fields=["status", "-created_at"], name="order_status_created"),
            models.Index(fields=["requirements_met", "-created_at"], name="order_met_created"),
            models.Index(fields=["deadline"], name="order_deadline"),
            models.Index(fields=["customer_reference"], name="order_reference"),
            # "Most numbers first" would otherwise sort every order for one page.
            models.Index(
                fields=["-phone_numbers_count", "-created_at"], name="order_numbers_created"
            ),
        ]
        permissions = [
            ("change_requirements", "Can fix requirements and the customer reference"),
            ("cancel_suborder", "Can cancel pending sub orders"),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.customer_reference or 'no reference'})"


class SubOrder(models.Model):
    id = models.UUIDField(primary_key=True, help_text="Telnyx's sub number order id")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="sub_orders")
    country_code = models.CharField(max_length=2)
    phone_number_type = models.CharField(max_length=16)
    status = models.CharField(max_length=32, choices=Status.choices)
    requirements_met = models.BooleanField(default=False)
    phone_numbers_count = models.PositiveIntegerField(default=0)
    is_block_sub_number_order = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    synced_at = models.DateTimeField()
    # When its comments were last fetched: the sync fetches the longest unchecked first.
    comments_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["country_code", "phone_number_type"]
        indexes = [
            models.Index(fields=["country_code", "order"], name="suborder_country"),
            models.Index(fields=["phone_number_type", "order"], name="suborder_type"),
            # The queue reads the pending sub orders' ids once, from this index alone.
            models.Index(fields=["status", "id"], name="suborder_status"),
        ]

    def __str__(self) -> str:
        return f"{self.country_code} {self.phone_number_type} ({self.status})"


# Telnyx has no "cancelled" status: the numbers of a cancelled sub order say so here.
REQUIREMENTS_CANCELLED = "cancelled"


class PhoneNumber(models.Model):
    telnyx_id = models.UUIDField(unique=True, help_text="Telnyx's number order phone number id")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="phone_numbers")
    sub_order = models.ForeignKey(
        SubOrder, on_delete=models.SET_NULL, null=True, blank=True, related_name="phone_numbers"
    )
    phone_number = models.CharField(max_length=32, help_text="E.164")
    # E.164 without the '+': what the search box matches, by any run of digits.
    digits = models.CharField(max_length=32)
    country_code = models.CharField(max_length=2)
    phone_number_type = models.CharField(max_length=16)
    status = models.CharField(max_length=32, choices=Status.choices)
    requirements_met = models.BooleanField(default=False)
    requirements_status = models.CharField(max_length=40, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    locality = models.CharField(max_length=128, blank=True)
    bundle_id = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField()
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["phone_number"]
        indexes = [
            models.Index(fields=["phone_number"], name="phonenumber_e164"),
            # Everything the queue reads of a pending order's numbers, without their rows.
            models.Index(
                fields=[
                    "order",
                    "status",
                    "requirements_status",
                    "sub_order",
                    "country_code",
                    "phone_number_type",
                    "deadline",
                ],
                name="phonenumber_queue",
            ),
        ]

    def __str__(self) -> str:
        return self.phone_number


class ValueStatus(models.TextChoices):
    """The review statuses of a requirement value the dashboard acts on. Telnyx sends others
    ("" before any value, "pending-approval" while reviewed): they are kept as sent."""

    DECLINED = "declined"
    APPROVED = "approved"


class FieldType(models.TextChoices):
    TEXTUAL = "textual"
    DATETIME = "datetime"
    ADDRESS = "address"
    DOCUMENT = "document"


class RequirementValue(models.Model):
    # No index of its own: one_value_per_requirement starts with it, and a second index was
    # one more write for every value the sync stores.
    phone_number = models.ForeignKey(
        PhoneNumber, on_delete=models.CASCADE, related_name="requirements", db_index=False
    )
    requirement_id = models.UUIDField()
    field_type = models.CharField(max_length=16, choices=FieldType.choices)
    field_value = models.TextField(blank=True)
    status = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField()
    synced_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["phone_number", "requirement_id"], name="one_value_per_requirement"
            )
        ]
        indexes = [
            # The few values that need someone to act (orders.selectors.queue.NEEDS_ACTION),
            # and all the queue reads of them.
            models.Index(
                fields=["phone_number", "requirement_id", "status"],
                condition=models.Q(field_value="") | models.Q(status="declined"),
                name="value_needs_action",
            )
        ]

    def __str__(self) -> str:
        return f"{self.requirement_id}={self.field_value!r}"

    @property
    def awaiting_value(self) -> bool:
        return not self.field_value


class RequirementDefinition(models.Model):
    id = models.UUIDField(primary_key=True, help_text="Telnyx's requirement id")
    label = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    example = models.TextField(blank=True)
    field_type = models.CharField(max_length=16, choices=FieldType.choices)
    acceptance_criteria = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.label
