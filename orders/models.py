"""The local cache of Telnyx number orders.

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
    status = models.CharField(max_length=16, choices=Status.choices)
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
    status = models.CharField(max_length=16, choices=Status.choices)
    requirements_met = models.BooleanField(default=False)
    phone_numbers_count = models.PositiveIntegerField(default=0)
    is_block_sub_number_order = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["country_code", "phone_number_type"]
        indexes = [
            models.Index(fields=["country_code", "order"], name="suborder_country"),
            models.Index(fields=["phone_number_type", "order"], name="suborder_type"),
        ]

    def __str__(self) -> str:
        return f"{self.country_code} {self.phone_number_type} ({self.status})"


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
    status = models.CharField(max_length=16, choices=Status.choices)
    requirements_met = models.BooleanField(default=False)
    requirements_status = models.CharField(max_length=40, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    locality = models.CharField(max_length=128, blank=True)
    bundle_id = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField()
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["phone_number"]
        indexes = [models.Index(fields=["phone_number"], name="phonenumber_e164")]

    def __str__(self) -> str:
        return self.phone_number


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


class SyncRun(models.Model):
    """One run of the sync: what the home page's "last synced" and the staleness warning read."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    seen = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"
        # Every page's header reads the latest finished run.
        indexes = [models.Index(fields=["-finished_at"], name="syncrun_finished")]

    def __str__(self) -> str:
        return f"sync {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def ok(self) -> bool:
        return self.finished_at is not None and self.failed == 0 and not self.error


class Lease(models.Model):
    """A lease on a named job (the sync): one row while someone holds it, see orders.locks.

    A lease rather than a database lock so that it works alike on SQLite and PostgreSQL, outlives
    no crashed holder for longer than `expires_at`, and needs no transaction held open."""

    name = models.CharField(max_length=64, primary_key=True)
    holder = models.CharField(max_length=255, help_text="host, process and a random token")
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder}"


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


# --- the paperwork requirement values point at: addresses, documents, requirement groups, and
# the comments in which Telnyx's reviewers say why they declined a value -----------------------


class Address(models.Model):
    """An address of the account, as Telnyx holds it; an address requirement's value is its id."""

    # Telnyx numbers addresses: an int64 written as a string, not a UUID.
    id = models.CharField(primary_key=True, max_length=20)
    first_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    business_name = models.CharField(max_length=255, blank=True)
    street_address = models.CharField(max_length=255, blank=True)
    extended_address = models.CharField(max_length=255, blank=True)
    locality = models.CharField(max_length=255, blank=True)
    administrative_area = models.CharField(max_length=255, blank=True)
    postal_code = models.CharField(max_length=32, blank=True)
    country_code = models.CharField(max_length=2, blank=True)
    customer_reference = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["business_name", "street_address", "id"]
        indexes = [models.Index(fields=["country_code", "locality"], name="address_place")]

    def __str__(self) -> str:
        return ", ".join(
            part for part in (self.business_name, self.street_address, self.locality) if part
        )


class DocumentStatus(models.TextChoices):
    PENDING = "pending"
    VERIFIED = "verified"
    DENIED = "denied"


class Document(models.Model):
    """An uploaded document; a document requirement's value is its id."""

    id = models.UUIDField(primary_key=True)
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    # Lenient: Telnyx's statuses may grow; unknown ones are shown as they are.
    status = models.CharField(max_length=32, blank=True)
    av_scan_status = models.CharField(max_length=32, blank=True)
    customer_reference = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.filename or str(self.id)


class RequirementGroup(models.Model):
    """A reusable, reviewed set of requirement values (mandatory in CH, DK, IT, NO, PT, SE)."""

    id = models.CharField(primary_key=True, max_length=64)
    country_code = models.CharField(max_length=2, blank=True)
    phone_number_type = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=32, blank=True)
    customer_reference = models.CharField(max_length=255, blank=True)
    # Telnyx's `regulatory_requirements` items, as sent.
    regulatory_requirements = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["country_code", "phone_number_type", "customer_reference", "id"]
        indexes = [
            models.Index(fields=["country_code", "phone_number_type"], name="group_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_reference or self.id} ({self.country_code} {self.status})"


class CommenterType(models.TextChoices):
    ADMIN = "admin", "Telnyx"
    USER = "user", "Us"


class Comment(models.Model):
    """A comment on a sub order: Telnyx's reviewers say there why they declined a value."""

    id = models.UUIDField(primary_key=True)
    record_type = models.CharField(max_length=32)
    # Not a foreign key: comments are cached for sub orders whatever we hold of them.
    record_id = models.UUIDField()
    body = models.TextField(blank=True)
    commenter = models.CharField(max_length=255, blank=True)
    commenter_type = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["record_id", "created_at"], name="comment_record")]

    def __str__(self) -> str:
        return f"{self.commenter_type} on {self.record_type} {self.record_id}"
