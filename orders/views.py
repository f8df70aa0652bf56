"""The order list, the order page and its actions (fix requirements, cancel, refresh), the home
page and the pages' polling endpoints: thin views over the selectors and services."""

from collections.abc import Sequence
from functools import partial
from urllib.parse import urlsplit
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.datastructures import MultiValueDict
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from orders.forms import AddressForm, CancelSubOrderForm, ChangesForm, OrderFilterForm
from orders.list_columns import LIST_FIELDS
from orders.models import Order, Status, SubOrder
from orders.number_filters import NumberFilterForm
from orders.regions import ACTION_REGIONS, LIVE_REGIONS, Region
from orders.requirement_forms import RequirementsForm, requirement_field_name, search_field_name
from orders.selectors import order_list as order_list_selectors
from orders.selectors import order_page
from orders.selectors.bulk_fixes import recent_bulk_fixes
from orders.selectors.comments import Thread, order_threads, with_decline_reasons
from orders.selectors.freshness import orders_change_token, orders_changed_since
from orders.selectors.history import order_history
from orders.selectors.home import home_summary
from orders.selectors.number_groups import number_groups
from orders.selectors.pickers import Picker, requirement_pickers, value_labels
from orders.selectors.requirement_groups import group_offers
from orders.services import actions, documents

VIEW_ORDERS = "orders.view_order"
PAGE_SIZE = 50

can_browse = permission_required(VIEW_ORDERS, raise_exception=True)


def htmx_template(request: HttpRequest, region: Region) -> str:
    """The region's partial for HTMX requests, the whole page otherwise.

    A history restore (back button after htmx's cache was evicted) asks for the whole page.
    """
    if request.htmx and not request.htmx.history_restore_request:
        return region.partial
    return region.template


def render_htmx(request: HttpRequest, region: Region, context: dict, **kwargs) -> HttpResponse:
    """Renders the region for HTMX requests, its page otherwise (context var `fragment` tells
    which)."""
    name = htmx_template(request, region)
    context = {**context, "fragment": name != region.template}
    response = render(request, name, context, **kwargs)
    # The same URL answers a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@can_browse
def home(request: HttpRequest) -> HttpResponse:
    context = {"summary": home_summary(), "bulk_fixes": recent_bulk_fixes()}
    return render(request, "orders/home.html", context)


@can_browse
def order_list(request: HttpRequest) -> HttpResponse:
    # Read first: a change while the page is built shows at the next poll rather than never.
    changes_since = orders_change_token()
    form = OrderFilterForm(request.GET)
    # Invalid fields are reported next to the form and left out; the valid ones still apply.
    form.is_valid()
    orders = order_list_selectors.order_list(fields=LIST_FIELDS, **form.filters())
    paginator = Paginator(orders, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page_range = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return render_htmx(
        request,
        Region.ORDER_TABLE,
        {"form": form, "page": page, "page_range": page_range, "changes_since": changes_since},
    )


def detail_or_404(order_id: UUID) -> order_page.OrderDetail:
    try:
        return order_page.order_detail(order_id=order_id)
    except Order.DoesNotExist:
        raise Http404("No cached order has this id.") from None


@can_browse
def order_detail(request: HttpRequest, order_id: UUID) -> HttpResponse:
    context = order_page_context(request, detail_or_404(order_id))
    if request.htmx and not request.htmx.history_restore_request:
        if request.htmx.target == Region.NUMBER_GROUPS.id:
            # The numbers filter.
            return render(request, Region.NUMBER_GROUPS.partial, context)
        # The page fetching itself again because the order changed elsewhere.
        return render_regions(request, LIVE_REGIONS, context | {"live": True})
    return render(request, ORDER_PAGE, context)


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
    latest = orders_changed_since(since=form.cleaned_data["since"], order_id=order_id)
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


# --- actions on an order: fix requirements, cancel a sub order, refresh ------------------------

CHANGE_REQUIREMENTS = "orders.change_requirements"
CANCEL_SUB_ORDER = "orders.cancel_suborder"
ORDER_PAGE = Region.ORDER_PANEL.template
# Without HTMX a failed action shows its page again, with what was typed and why it failed.
FAILED = 422


def requirements_form(
    detail: order_page.OrderDetail,
    data: QueryDict | None = None,
    files: MultiValueDict | None = None,
    *,
    shown: QueryDict | None = None,
    address_forms: dict[UUID, AddressForm] | None = None,
    threads: list[Thread] | None = None,
) -> RequirementsForm:
    """The order's requirements form, bound to `data` and `files` when posted, with a picker for
    each address and document requirement. `shown`: what to show instead of the cached values,
    search boxes included (a search, or a new address, made without JavaScript). A declined
    requirement shows Telnyx's latest reason, from `threads` (read here when not given)."""
    summaries = order_page.requirement_summaries(detail=detail)
    shown = shown or QueryDict()
    form = RequirementsForm(
        data,
        files,
        requirements=with_decline_reasons(
            summaries=summaries,
            threads=order_threads(detail=detail) if threads is None else threads,
        ),
        customer_reference=detail.order.customer_reference,
        initial={name: shown[name] for name in shown if name != "csrfmiddlewaretoken"},
    )
    pickers = requirement_pickers(
        detail=detail,
        summaries=summaries,
        field_names={s.requirement_id: requirement_field_name(s.requirement_id) for s in summaries},
        searches={
            s.requirement_id: shown.get(search_field_name(s.requirement_id), "") for s in summaries
        },
        chosen={
            s.requirement_id: str(form[requirement_field_name(s.requirement_id)].value() or "")
            for s in summaries
        },
    )
    for requirement_id, picker in pickers.items():
        if picker.scope is not None:
            picker.address_form = (address_forms or {}).get(requirement_id) or new_address_form(
                picker
            )
    form.pickers = pickers
    return form


def new_address_form(picker: Picker, data: QueryDict | None = None) -> AddressForm:
    """The picker's "New address" form, its place filled in from the requirement's numbers."""
    scope = picker.scope
    return AddressForm(
        data,
        prefix=f"address-{picker.key}",
        initial={"country_code": scope.country_code, "locality": scope.locality} if scope else {},
    )


def _numbers_query(request: HttpRequest) -> QueryDict:
    """The numbers filter lives in the page's address: an action's or the live refresh's HTMX
    request re-renders the numbers filtered as the page the person is looking at."""
    if request.method == "GET" and request.GET:
        return request.GET
    current = request.htmx.current_url if request.htmx else None
    return QueryDict(urlsplit(current).query if current else "")


def order_page_context(request: HttpRequest, detail: order_page.OrderDetail, **extra) -> dict:
    """What the order page and its partials read; `extra` adds an action's form or failure."""
    numbers_form = NumberFilterForm(_numbers_query(request))
    # Read on first use: the live refresh, the numbers filter and failures render few regions.
    threads = SimpleLazyObject(lambda: order_threads(detail=detail))
    context = {
        "detail": detail,
        "history": SimpleLazyObject(lambda: order_history(order_id=detail.order.pk)),
        "numbers_form": numbers_form,
        "number_groups": SimpleLazyObject(
            lambda: number_groups(detail=detail, numbers_filter=numbers_form.numbers_filter())
        ),
        "threads": threads,
        "group_offers": SimpleLazyObject(lambda: group_offers(detail=detail)),
        "value_labels": SimpleLazyObject(lambda: value_labels(detail=detail)),
    }
    if "requirements_form" not in extra and request.user.has_perm(CHANGE_REQUIREMENTS):
        form = partial(requirements_form, detail, threads=threads)
        context["requirements_form"] = SimpleLazyObject(form)
    return context | extra


def render_regions(request: HttpRequest, regions: Sequence[Region], context: dict) -> HttpResponse:
    """An HTMX answer: the partials of `regions`, and Django's messages out of band."""
    parts = [render_to_string(region.partial, context, request) for region in regions]
    parts.append(render_to_string(Region.MESSAGES.partial, {"oob": True}, request))
    response = HttpResponse("".join(parts))
    patch_vary_headers(response, ["HX-Request"])
    return response


def action_failed(
    request: HttpRequest, order_id: UUID, region: Region, **extra: object
) -> HttpResponse:
    """After an action failed: with HTMX its region (holding the failure and what was typed)
    and the history; without, the order page again."""
    context = order_page_context(request, detail_or_404(order_id), **extra)
    if request.htmx:
        return render_regions(request, [region, Region.HISTORY], context)
    return render(request, ORDER_PAGE, context, status=FAILED)


def action_succeeded(
    request: HttpRequest, order_id: UUID, message: str, done: actions.ActionDone
) -> HttpResponse:
    """After an action succeeded: the order page again (POST, then redirect), or with HTMX every
    region of it that may have changed, and the event other open panels refresh on."""
    messages.success(request, message)
    if not done.stored:
        messages.warning(
            request,
            "The order could not be fetched from Telnyx afterwards, so this page does not show "
            "the result yet: refresh the order.",
        )
    if not request.htmx:
        return redirect("order_detail", order_id=order_id)
    context = order_page_context(request, detail_or_404(order_id))
    return trigger_client_event(render_regions(request, ACTION_REGIONS, context), "ordersChanged")


def _what_was_sent(customer_reference: str | None, changes: dict) -> str:
    parts = ["the customer reference"] if customer_reference is not None else []
    if changes:
        parts.append(f"{len(changes)} requirement value{pluralize(len(changes))}")
    return " and ".join(parts)


# The audit entry of a failed action must stay written whatever the request does afterwards:
# the action views keep autocommit even if ATOMIC_REQUESTS is turned on.
@transaction.non_atomic_requests
@require_POST
@permission_required(CHANGE_REQUIREMENTS, raise_exception=True)
def order_update(request: HttpRequest, order_id: UUID) -> HttpResponse:
    """Sends the requirements form's changes; files chosen for document requirements are
    uploaded first, in the same action (documents.document_upload_and_fix)."""
    detail = detail_or_404(order_id)
    threads = order_threads(detail=detail)
    form = requirements_form(detail, request.POST, request.FILES, threads=threads)
    failure = None
    if form.is_valid():
        reference, changes = form.customer_reference_change(), form.requirement_changes()
        uploads = form.uploads()
        update = actions.order_update
        if uploads:
            update = partial(documents.document_upload_and_fix, uploads=uploads)
        try:
            done = update(
                order=detail.order, user=request.user, customer_reference=reference, changes=changes
            )
        except documents.UploadsNotLinked as failed:
            # Shown with the uploaded documents chosen: the retry sends them, not the files.
            data = request.POST.copy()
            for requirement_id, document in failed.uploaded.items():
                data[requirement_field_name(requirement_id)] = str(document.pk)
            detail = detail_or_404(order_id)
            form = requirements_form(detail, data, threads=threads)
            form.add_upstream_errors(failed.problems)
            failure = failed
        except actions.ActionFailed as failed:
            form.add_upstream_errors(failed.problems)
            failure = failed
            # A 404 flags the order as gone, an unknown outcome fetched it again: the panel
            # shows either.
            detail = detail_or_404(order_id)
        else:
            sent = _what_was_sent(reference, {**changes, **uploads})
            names = ", ".join(f"“{upload.filename}”" for upload in uploads.values())
            message = f"Telnyx accepted {sent}" + (f", uploading {names}." if names else ".")
            return action_succeeded(request, order_id, message, done)
    context = order_page_context(
        request, detail, requirements_form=form, requirements_failure=failure, threads=threads
    )
    if request.htmx:
        regions = (
            [Region.REQUIREMENTS, Region.ORDER_PANEL, Region.HISTORY]
            if failure
            else [Region.REQUIREMENTS]
        )
        return _refreshed_elsewhere(render_regions(request, regions, context), failure)
    return render(request, ORDER_PAGE, context, status=FAILED)


def _refreshed_elsewhere(
    response: HttpResponse, failure: actions.ActionFailed | None
) -> HttpResponse:
    """After a write of unknown outcome fetched its order again, the other open panels refresh
    too (the event the pollers send)."""
    if failure is not None and failure.refreshed:
        return trigger_client_event(response, "ordersChanged")
    return response


@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
@permission_required(CANCEL_SUB_ORDER, raise_exception=True)
def sub_order_cancel(request: HttpRequest, sub_order_id: UUID) -> HttpResponse:
    """GET: what cancelling drops, and a reason to give. POST: cancel at Telnyx."""
    sub_order = get_object_or_404(SubOrder.objects.select_related("order"), pk=sub_order_id)
    form = CancelSubOrderForm(request.POST if request.method == "POST" else None)
    failure = None
    # A sub order that is not pending is refused (and audited) whatever the form says.
    if request.method == "POST" and (form.is_valid() or sub_order.status != Status.PENDING):
        try:
            done = actions.sub_order_cancel(
                sub_order=sub_order, user=request.user, reason=form.cleaned_data.get("reason", "")
            )
        except actions.ActionFailed as failed:
            failure = failed
            if failed.refreshed:
                # Telnyx may have cancelled it: as fetched again (gone if Telnyx dropped it).
                sub_order = SubOrder.objects.filter(pk=sub_order.pk).first() or sub_order
        else:
            message = (
                f"Telnyx cancelled the {sub_order.country_code} {sub_order.phone_number_type} "
                "sub order."
            )
            return action_succeeded(request, sub_order.order_id, message, done)
    context = {"cancel_sub": sub_order, "cancel_form": form, "cancel_failure": failure}
    if request.htmx:
        if failure is None:
            return render_regions(request, [Region.CANCEL_PANEL], context)
        context["history"] = order_history(order_id=sub_order.order_id)
        response = render_regions(request, [Region.CANCEL_PANEL, Region.HISTORY], context)
        return _refreshed_elsewhere(response, failure)
    status = FAILED if request.method == "POST" else 200
    return render(request, "orders/sub_order_cancel.html", context, status=status)


@transaction.non_atomic_requests
@require_POST
@can_browse
def order_refresh(request: HttpRequest, order_id: UUID) -> HttpResponse:
    order = get_object_or_404(Order, pk=order_id)
    try:
        done = actions.order_refresh(order=order, user=request.user)
    except actions.ActionFailed as failed:
        if not request.htmx:
            # The page's Refresh button is the retry.
            messages.error(request, failed.message)
            return redirect("order_detail", order_id=order_id)
        context = order_page_context(request, detail_or_404(order_id), refresh_failure=failed)
        return render_regions(request, [Region.ORDER_PANEL, Region.HISTORY], context)
    return action_succeeded(request, order_id, "Refreshed from Telnyx.", done)
