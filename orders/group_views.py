"""The view attaching a requirement group to a pending sub order (managers)."""

from uuid import UUID

from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from orders.comment_forms import GroupAttachForm
from orders.models import SubOrder
from orders.regions import Region
from orders.services import requirement_groups
from orders.services.actions import ActionFailed
from orders.views import CHANGE_REQUIREMENTS, action_failed, action_succeeded


@transaction.non_atomic_requests
@require_POST
@permission_required(CHANGE_REQUIREMENTS, raise_exception=True)
def requirement_group_attach(request: HttpRequest, sub_order_id: UUID) -> HttpResponse:
    sub_order = get_object_or_404(SubOrder.objects.select_related("order"), pk=sub_order_id)
    form = GroupAttachForm(request.POST)
    failure = None
    if form.is_valid():
        try:
            done = requirement_groups.requirement_group_attach(
                sub_order=sub_order,
                group_id=form.cleaned_data["requirement_group_id"],
                user=request.user,
            )
        except ActionFailed as failed:
            failure = failed
        else:
            message = (
                f"Telnyx attached the requirement group to the {sub_order.country_code} "
                f"{sub_order.phone_number_type} sub order."
            )
            return action_succeeded(request, sub_order.order_id, message, done)
    return action_failed(
        request,
        sub_order.order_id,
        Region.REQUIREMENT_GROUPS,
        group_form=form,
        group_sub_order_id=sub_order.pk,
        group_failure=failure,
    )
