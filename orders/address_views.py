"""The requirements form's pickers: searching the cached addresses and documents for one
requirement, and creating an address in place, which the picker then holds as its choice."""

import logging
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from orders.models import FieldType
from orders.regions import Region
from orders.requirement_forms import RequirementsForm, requirement_field_name
from orders.selectors import order_page
from orders.selectors.pickers import Picker
from orders.services.addresses import AddressRefused, addresses_fetch
from orders.services.addresses import address_create as create
from orders.telnyx import TelnyxError
from orders.views import (
    CHANGE_REQUIREMENTS,
    FAILED,
    ORDER_PAGE,
    detail_or_404,
    new_address_form,
    order_page_context,
    requirements_form,
)

logger = logging.getLogger(__name__)

PICKER = "orders/includes/pickers.html#picker"
PICKER_RESULTS = "orders/includes/pickers.html#picker-results"


def _picker(
    order_id: UUID, requirement_id: UUID, **form_kwargs
) -> tuple[order_page.OrderDetail, Picker, RequirementsForm]:
    """The order, the picker of its address or document requirement, and the requirements form
    holding it (`form_kwargs`: see views.requirements_form); 404 for anything else."""
    detail = detail_or_404(order_id)
    form = requirements_form(detail, **form_kwargs)
    picker = form.pickers.get(requirement_id)
    if picker is None:
        raise Http404("This order has no address or document requirement with this id.")
    return detail, picker, form


@require_GET
@permission_required(CHANGE_REQUIREMENTS, raise_exception=True)
def requirement_picker(request: HttpRequest, order_id: UUID, requirement_id: UUID) -> HttpResponse:
    """The records matching the picker's search box: with HTMX its list of results, without it
    the whole order page, the requirements form showing what was typed and the results. An
    address search the cache cannot answer is asked of Telnyx."""
    detail, picker, form = _picker(order_id, requirement_id, shown=request.GET)
    if picker.scope is not None and not picker.results and picker.search_text:
        # Not cached: perhaps made at Telnyx since the last sync.
        try:
            found = addresses_fetch(text=picker.search_text)
        except TelnyxError as error:
            logger.info("picker: asking Telnyx for addresses failed: %s", error)
            found = 0
        if found:
            detail, picker, form = _picker(order_id, requirement_id, shown=request.GET)
    if request.htmx:
        response = render(request, PICKER_RESULTS, {"picker": picker, "detail": detail})
        patch_vary_headers(response, ["HX-Request"])
        return response
    return render(request, ORDER_PAGE, order_page_context(request, detail, requirements_form=form))


# The audit entry of a failed attempt must stay written (see views.order_update).
@transaction.non_atomic_requests
@require_POST
@permission_required(CHANGE_REQUIREMENTS, raise_exception=True)
def address_create(request: HttpRequest, order_id: UUID, requirement_id: UUID) -> HttpResponse:
    """Creates the address typed into a picker's "New address" at Telnyx and makes it the
    picker's choice; the requirements form then sends it like any other change."""
    detail, picker, _ = _picker(order_id, requirement_id)
    if picker.field_type != FieldType.ADDRESS:
        raise Http404("This requirement takes a document, not an address.")
    address_form = new_address_form(picker, request.POST)
    shown = request.POST.copy()
    status = FAILED
    if address_form.is_valid():
        try:
            address = create(
                user=request.user, order_id=detail.order.pk, fields=address_form.cleaned_data
            )
        except AddressRefused as refused:
            address_form.add_upstream_errors(refused.problems)
            address_form.add_error(None, refused.message)
        else:
            messages.success(
                request,
                f"Address “{address}” created at Telnyx and chosen: send the changes to use it.",
            )
            shown[requirement_field_name(requirement_id)] = address.pk
            address_form = new_address_form(picker)
            status = 200
    form = requirements_form(detail, shown=shown, address_forms={requirement_id: address_form})
    if request.htmx:
        context = {"picker": form.pickers[requirement_id], "detail": detail}
        parts = [
            render_to_string(PICKER, context, request),
            render_to_string(Region.MESSAGES.partial, {"oob": True}, request),
        ]
        # 200 either way: htmx swaps only successful answers, and the errors are in the picker.
        return HttpResponse("".join(parts))
    context = order_page_context(request, detail, requirements_form=form)
    return render(request, ORDER_PAGE, context, status=status)
