"""The bulk fix pages: start one from a queue group, follow it, retry its failures."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.bulk_forms import BulkFixForm, BulkFixGroupForm
from orders.models import BulkFix
from orders.regions import Region
from orders.selectors.bulk_fixes import bulk_fix_candidates, bulk_fix_page
from orders.selectors.queue_scope import queue_group_orders
from orders.services.bulk_fixes import BulkFixRefused, bulk_fix_retry_failures, bulk_fix_start
from orders.views import CHANGE_REQUIREMENTS, FAILED, can_browse, render_htmx

can_fix = permission_required(CHANGE_REQUIREMENTS, raise_exception=True)


@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
@can_fix
def bulk_fix_new(request: HttpRequest) -> HttpResponse:
    """GET: the queue group's orders, all chosen, and a value to send them. POST: starts the
    bulk fix in the background and shows its page."""
    group_form = BulkFixGroupForm(request.GET)
    if not group_form.is_valid():
        context = {"group_form": group_form}
        return render(request, "orders/bulk_fix_new.html", context, status=400)
    group = group_form.cleaned_data
    requirement = group["requirement"]
    order_ids = queue_group_orders(
        customer_reference=group["customer_reference"],
        country=group["country"],
        number_type=group["number_type"],
        requirement_id=requirement.pk,
    )
    orders = bulk_fix_candidates(order_ids=order_ids)
    form = BulkFixForm(
        request.POST if request.method == "POST" else None,
        requirement=requirement,
        order_ids=[order.pk for order in orders],
    )
    refused = None
    if request.method == "POST" and form.is_valid():
        try:
            bulk_fix = bulk_fix_start(
                user=request.user,
                requirement=requirement,
                value=form.cleaned_data["value"],
                customer_reference=group["customer_reference"],
                country=group["country"],
                number_type=group["number_type"],
                order_ids=form.cleaned_data["orders"],
            )
        except BulkFixRefused as failed:
            if failed.running is None:
                refused = failed
            else:
                messages.warning(request, failed.message)
                return redirect("bulk_fix_detail", bulk_fix_id=failed.running.pk)
        else:
            count = bulk_fix.items.count()
            messages.success(
                request, f"Bulk fix started: {count} order{pluralize(count)} will be sent."
            )
            return redirect("bulk_fix_detail", bulk_fix_id=bulk_fix.pk)
    context = {
        "group": group,
        "requirement": requirement,
        "rows": list(zip(orders, form["orders"], strict=True)),
        "form": form,
        "refused": refused,
    }
    status = FAILED if request.method == "POST" else 200
    return render(request, "orders/bulk_fix_new.html", context, status=status)


def _page_or_404(bulk_fix_id: int):
    try:
        return bulk_fix_page(bulk_fix_id=bulk_fix_id)
    except BulkFix.DoesNotExist:
        raise Http404("No bulk fix has this id.") from None


@require_GET
@never_cache
@can_browse
def bulk_fix_detail(request: HttpRequest, bulk_fix_id: int) -> HttpResponse:
    """A bulk fix's progress and orders; with HTMX the progress region alone, which polls itself
    while the fix runs."""
    return render_htmx(request, Region.BULK_FIX_PROGRESS, {"page": _page_or_404(bulk_fix_id)})


@transaction.non_atomic_requests
@require_POST
@can_fix
def bulk_fix_retry(request: HttpRequest, bulk_fix_id: int) -> HttpResponse:
    bulk_fix = get_object_or_404(BulkFix, pk=bulk_fix_id)
    try:
        count = bulk_fix_retry_failures(bulk_fix=bulk_fix, user=request.user)
    except BulkFixRefused as refused:
        messages.error(request, refused.message)
        if refused.running is not None:
            return redirect("bulk_fix_detail", bulk_fix_id=refused.running.pk)
    else:
        messages.success(request, f"{count} order{pluralize(count)} queued to be sent again.")
    return redirect("bulk_fix_detail", bulk_fix_id=bulk_fix_id)
