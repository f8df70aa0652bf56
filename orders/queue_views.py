"""The queue's pages: its groups, filtered and sorted, and the same queue as a CSV download."""

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from orders.exports import CsvColumn, csv_response, local_minutes
from orders.queue_forms import QueueFilterForm
from orders.regions import Region
from orders.selectors import queue as queue_selectors
from orders.selectors.freshness import orders_change_token
from orders.selectors.order_exports import requirement_labels
from orders.selectors.queue import queue_export_rows, queue_state
from orders.selectors.queue_totals import queue_totals
from orders.views import can_browse, render_htmx

PAGE_SIZE = 50


def _filter_form(request: HttpRequest) -> QueueFilterForm:
    form = QueueFilterForm(request.GET)
    # Invalid fields are reported next to the results and left out; the valid ones still apply.
    form.is_valid()
    return form


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 7 else 1


@can_browse
def queue(request: HttpRequest) -> HttpResponse:
    # Read first: a change while the page is built shows at the next poll rather than never.
    changes_since = orders_change_token()
    form = _filter_form(request)
    filters = form.filters()
    page = queue_selectors.queue_page(
        number=_page_number(request.GET.get("page")),
        per_page=PAGE_SIZE,
        sort=form.chosen_sort(),
        token=changes_since,
        **filters,
    )
    context = {
        "form": form,
        "page": page,
        "totals": queue_totals(token=changes_since, **filters),
        "export_query": request.GET.urlencode(),
        "changes_since": changes_since,
    }
    return render_htmx(request, Region.QUEUE_RESULTS, context)


@can_browse
def queue_export(request: HttpRequest) -> HttpResponse:
    """What the queue shows, filtered alike, a row per requirement value to give or fix."""
    form = _filter_form(request)
    labels = requirement_labels()
    local = local_minutes(timezone.get_current_timezone())
    columns = [
        CsvColumn("deadline", lambda row: local(row.deadline_utc), checked=False),
        CsvColumn("customer_reference", lambda row: row.customer_reference),
        CsvColumn("order_id", lambda row: row.order_text, checked=False),
        CsvColumn("phone_number", lambda row: row.phone_number),
        CsvColumn("country", lambda row: row.country),
        CsvColumn("number_type", lambda row: row.number_type),
        CsvColumn("requirement_id", lambda row: row.requirement_text, checked=False),
        CsvColumn("requirement", lambda row: labels.get(row.requirement_text, "")),
        CsvColumn("status", lambda row: queue_state(row.status).shown(row.status)),
    ]
    rows = queue_export_rows(sort=form.chosen_sort(), **form.filters())
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csv_response(rows=rows, columns=columns, filename=f"queue-{stamp}.csv")
