"""The yardstick: Django's admin changelist for orders, with the list page's columns and filters.

If the project registers its own `Order` admin, that one is measured; otherwise the bench
registers this one on the default admin site before the URLs are first loaded.
"""

from django.contrib import admin
from django.db.models import Exists, OuterRef

from orders.models import Order, SubOrder


class _SubOrderFilter(admin.SimpleListFilter):
    """As the list page filters: orders with a sub order of that country (or number type)."""

    field = ""

    def lookups(self, request, model_admin):
        values = SubOrder.objects.order_by().values_list(self.field, flat=True).distinct()
        return [(value, value) for value in sorted(values)]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(
            Exists(SubOrder.objects.filter(order=OuterRef("pk"), **{self.field: self.value()}))
        )


class CountryFilter(_SubOrderFilter):
    title = parameter_name = "country"
    field = "country_code"


class NumberTypeFilter(_SubOrderFilter):
    title = "number type"
    parameter_name = field = "phone_number_type"


class BenchOrderAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "customer_reference",
        "status",
        "phone_numbers_count",
        "countries",
        "numbers_awaiting",
        "deadline",
        "requirements_met",
    ]
    list_filter = ["status", "requirements_met", CountryFilter, NumberTypeFilter, "created_at"]
    search_fields = ["customer_reference", "=id"]
    ordering = ["-created_at"]


def changelist_admin() -> admin.ModelAdmin:
    """The Order admin the bench compares with, registering the bench's own if none is."""
    if not admin.site.is_registered(Order):
        admin.site.register(Order, BenchOrderAdmin)
    return admin.site.get_model_admin(Order)


def sort_param(model_admin: admin.ModelAdmin, field: str, *, descending: bool) -> str:
    """The changelist's `o` value sorting by `field` (its 1-based position in list_display)."""
    position = list(model_admin.list_display).index(field) + 1
    return f"{'-' if descending else ''}{position}"
