from uuid import UUID

from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_htmx.http import trigger_client_event

from orders import selectors
from orders.forms import ChangesForm, OrderFilterForm
from orders.models import Order

VIEW_ORDERS = "orders.view_order"
PAGE_SIZE = 50

can_browse = permission_required(VIEW_ORDERS, raise_exception=True)


class CountingPaginator(Paginator):
    """Pages through `object_list` but counts `counted`: the same rows, in the form the
    database counts fastest (see selectors.OrderList)."""

    def __init__(self, object_list: QuerySet, per_page: int, *, counted: QuerySet) -> None:
        super().__init__(object_list, per_page)
        self.counted = counted

    @cached_property
    def count(self) -> int:
        return self.counted.count()


def htmx_template(request: HttpRequest, template: str, partial: str) -> str:
    """`template#partial` for HTMX requests, the whole page otherwise.

    A history restore (back button after htmx's cache was evicted) asks for the whole page.
    """
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{partial}"
    return template


def render_htmx(
    request: HttpRequest, template: str, partial: str, context: dict, **kwargs
) -> HttpResponse:
    """Renders `template#partial` for HTMX requests (context var `fragment` tells which)."""
    name = htmx_template(request, template, partial)
    context = {**context, "fragment": name != template}
    response = render(request, name, context, **kwargs)
    # The same URL answers a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@can_browse
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/home.html", {"summary": selectors.home_summary()})


@can_browse
def order_list(request: HttpRequest) -> HttpResponse:
    # Read first: a change while the page is built shows at the next poll rather than never.
    changes_since = selectors.orders_change_token()
    form = OrderFilterForm(request.GET)
    # Invalid fields are reported next to the form and left out; the valid ones still apply.
    form.is_valid()
    filters = {name: value for name, value in form.cleaned_data.items() if value not in (None, "")}
    orders = selectors.order_list(**filters)
    paginator = CountingPaginator(orders.rows, PAGE_SIZE, counted=orders.counted)
    page = paginator.get_page(request.GET.get("page"))
    page_range = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return render_htmx(
        request,
        "orders/order_list.html",
        "table",
        {"form": form, "page": page, "page_range": page_range, "changes_since": changes_since},
    )


@can_browse
def order_detail(request: HttpRequest, order_id: UUID) -> HttpResponse:
    try:
        detail = selectors.order_detail(order_id=order_id)
    except Order.DoesNotExist:
        raise Http404("No cached order has this id.") from None
    return render(request, "orders/order_detail.html", {"detail": detail})


@require_GET
@never_cache
@can_browse
def order_changes(request: HttpRequest) -> HttpResponse:
    """Did the orders (`?order=ID`: that one order) change since `?since=TOKEN`?

    204 when not; otherwise the poller with the new token and the `ordersChanged` event, on which
    the list's table and the order page's panels fetch themselves again.
    """
    form = ChangesForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest("since: a change token; order: an order id")
    order_id = form.cleaned_data["order"]
    latest = selectors.orders_changed_since(since=form.cleaned_data["since"], order_id=order_id)
    if latest is None:
        return HttpResponse(status=204)
    response = render(
        request,
        "orders/includes/changes_poller.html",
        {"changes_since": latest, "order_id": order_id},
    )
    return trigger_client_event(response, "ordersChanged")


@require_GET
@never_cache
@can_browse
def sync_status(request: HttpRequest) -> HttpResponse:
    """The header's "synced N minutes ago" and the stale warning, which open pages re-fetch."""
    return render(request, "base.html#sync-status")


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
