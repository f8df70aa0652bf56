"""The paperwork requirement values point at: addresses, documents, requirement groups, and
the comments in which Telnyx's reviewers say why they declined a value."""

from django.db import models


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

    @property
    def unread(self) -> bool:
        """Telnyx's comment nobody has marked read (ours count as read)."""
        return self.commenter_type == CommenterType.ADMIN and self.read_at is None
