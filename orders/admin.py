"""The cache and the audit trail in the admin, read only (superusers' mirror of the data)."""

from django.contrib import admin

from orders.models import (
    AuditEntry,
    Order,
    PhoneNumber,
    RequirementDefinition,
    SubOrder,
    SyncRun,
)
from ordersite.admin import ReadOnlyAdmin


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "customer_reference",
        "status",
        "phone_numbers_count",
        "requirements_met",
        "countries",
        "synced_at",
    ]
    list_filter = ["status", "requirements_met", "created_at"]
    search_fields = ["=id", "customer_reference"]


@admin.register(SubOrder)
class SubOrderAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "order",
        "country_code",
        "phone_number_type",
        "status",
        "requirements_met",
        "phone_numbers_count",
    ]
    list_filter = ["status", "phone_number_type"]
    search_fields = ["=id", "=order__id"]


@admin.register(PhoneNumber)
class PhoneNumberAdmin(ReadOnlyAdmin):
    list_display = ["phone_number", "order", "country_code", "status", "requirements_status"]
    list_filter = ["status", "phone_number_type"]
    # Exact matches only (indexed); the dashboard's search box finds numbers by any digits.
    search_fields = ["=phone_number", "=telnyx_id"]


@admin.register(RequirementDefinition)
class RequirementDefinitionAdmin(ReadOnlyAdmin):
    list_display = ["label", "field_type", "id", "synced_at"]
    list_filter = ["field_type"]
    search_fields = ["label", "=id"]


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "finished_at", "seen", "created", "updated", "failed"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Everything done to orders through the dashboard: append-only, so read only here too."""

    list_display = [
        "created_at",
        "username",
        "action",
        "order_id",
        "sub_order_id",
        "outcome",
        "http_status",
        "telnyx_code",
    ]
    list_filter = ["action", "outcome", "created_at"]
    search_fields = ["username", "=order_id", "=sub_order_id", "telnyx_code"]
    date_hierarchy = "created_at"
