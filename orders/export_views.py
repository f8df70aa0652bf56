"""CSV downloads of the order list and of an order's numbers, filtered as their pages are: a row
per requirement value, streamed as it is read."""

import re
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from orders.exports import CsvColumn, csv_response, local_minutes
from orders.forms import OrderFilterForm
from orders.models import Order
from orders.number_filters import NumberFilterForm
from orders.selectors import order_exports
from orders.selectors.number_groups import RequirementState
from orders.views import can_browse

# What a file name keeps of a customer reference; the rest becomes "-".
_NAME_UNSAFE = re.compile(r"[^\w.-]+")


def _value_status(row) -> str:
    if row.requirement_text is None:
        return ""
    status = row.requirements__status
    return RequirementState.of_value(row.requirements__field_value, status).shown(status)


def _columns() -> list[CsvColumn]:
    """The columns both exports write; the labels are read, and the viewer's time zone taken,
    before the rows are."""
    labels = order_exports.export_labels()
    local = local_minutes(timezone.get_current_timezone())
    return [
        CsvColumn("order_id", lambda row: row.order_text, checked=False),
        CsvColumn("customer_reference", lambda row: row.order__customer_reference),
        CsvColumn("order_status", lambda row: row.order__status),
        CsvColumn("phone_number", lambda row: row.phone_number),
        CsvColumn("country", lambda row: row.country_code),
        CsvColumn("number_type", lambda row: row.phone_number_type),
        CsvColumn("number_status", lambda row: row.status),
        CsvColumn("requirement", lambda row: labels.requirement(row.requirement_text)),
        CsvColumn(
            "value",
            lambda row: labels.value(row.requirements__field_type, row.requirements__field_value),
        ),
        CsvColumn("value_status", _value_status),
        CsvColumn("deadline", lambda row: local(row.deadline_text), checked=False),
    ]


@can_browse
def order_list_export(request: HttpRequest) -> HttpResponse:
    """Every order the list shows for its filters (all pages), a row per requirement value."""
    form = OrderFilterForm(request.GET)
    # As on the list: invalid fields are left out, the valid ones still apply.
    form.is_valid()
    rows = order_exports.order_export_rows(**form.filters())
    name = f"orders-{timezone.localdate().isoformat()}.csv"
    return csv_response(rows=rows, columns=_columns(), filename=name)


@can_browse
def order_numbers_export(request: HttpRequest, order_id: UUID) -> HttpResponse:
    """The order's numbers its page's numbers filter keeps, a row per requirement value."""
    order = get_object_or_404(Order.objects.only("customer_reference"), pk=order_id)
    numbers_filter = NumberFilterForm(request.GET).numbers_filter()
    rows = order_exports.order_numbers_export_rows(order_id=order.pk, numbers_filter=numbers_filter)
    reference = _NAME_UNSAFE.sub("-", order.customer_reference).strip("-.")[:80]
    name = f"order-{reference or order.pk}-numbers.csv"
    return csv_response(rows=rows, columns=_columns(), filename=name)
