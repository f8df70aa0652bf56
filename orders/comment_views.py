"""The views of Telnyx's comments on sub orders: replying, and marking one read (managers)."""

from uuid import UUID

from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from orders.comment_forms import CommentForm
from orders.models import Comment, SubOrder
from orders.regions import Region
from orders.services import comments
from orders.services.actions import ActionFailed
from orders.views import CHANGE_REQUIREMENTS, action_failed, action_succeeded


@transaction.non_atomic_requests
@require_POST
@permission_required(CHANGE_REQUIREMENTS, raise_exception=True)
def comment_post(request: HttpRequest, sub_order_id: UUID) -> HttpResponse:
    sub_order = get_object_or_404(SubOrder.objects.select_related("order"), pk=sub_order_id)
    form = CommentForm(request.POST)
    failure = None
    if form.is_valid():
        try:
            done = comments.comment_post(
                sub_order=sub_order, body=form.cleaned_data["body"], user=request.user
            )
        except ActionFailed as failed:
            failure = failed
        else:
            message = f"Your comment on the {sub_order.country_code} sub order was sent to Telnyx."
            return action_succeeded(request, sub_order.order_id, message, done)
    return action_failed(
        request,
        sub_order.order_id,
        Region.COMMENTS,
        comment_form=form,
        comment_sub_order_id=sub_order.pk,
        comment_failure=failure,
    )


@transaction.non_atomic_requests
@require_POST
@permission_required(CHANGE_REQUIREMENTS, raise_exception=True)
def comment_mark_read(request: HttpRequest, comment_id: UUID) -> HttpResponse:
    # Comments are cached for sub orders; one whose sub order is no longer held has no page.
    comment = get_object_or_404(Comment, pk=comment_id, record_id__in=SubOrder.objects.values("pk"))
    try:
        done = comments.comment_mark_read(comment=comment, user=request.user)
    except ActionFailed as failed:
        return action_failed(
            request,
            failed.entry.order_id,
            Region.COMMENTS,
            read_failure=failed,
            read_comment_id=comment.pk,
        )
    return action_succeeded(request, done.order.pk, "Marked read.", done)
