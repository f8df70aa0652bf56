"""The yardstick: Django's admin changelist for orders, with the list page's columns and filters.

The project's own `Order` admin is measured, with the list page's two sub order filters (country
and number type) and its deadline (column and filter) added when it lacks them, so that every
view of the list has its admin twin.
This happens in the bench process only, before the URLs are first loaded.
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


def changelist_admin() -> admin.ModelAdmin:
    """The project's Order admin, as the bench measures it: with the deadline as a column and a
    filter when it lacks them (the list sorts and filters by it)."""
    project = type(admin.site.get_model_admin(Order))
    filters = [
        f for f in (CountryFilter, NumberTypeFilter, "deadline") if f not in project.list_filter
    ]
    columns = [] if "deadline" in project.list_display else ["deadline"]
    if not filters and not columns:
        return admin.site.get_model_admin(Order)
    bench = type(
        "BenchOrderAdmin",
        (project,),
        {
            "list_filter": [*project.list_filter, *filters],
            "list_display": [*project.list_display, *columns],
        },
    )
    admin.site.unregister(Order)
    admin.site.register(Order, bench)
    return admin.site.get_model_admin(Order)


def sort_param(model_admin: admin.ModelAdmin, field: str, *, descending: bool) -> str:
    """The changelist's `o` value sorting by `field` (its 1-based position in list_display)."""
    position = list(model_admin.list_display).index(field) + 1
    return f"{'-' if descending else ''}{position}"
