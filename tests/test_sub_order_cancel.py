"""sub_order_cancel: cancelling a pending sub order at Telnyx, refused locally when it is not
pending or already being cancelled, and every upstream failure; each attempt is audited."""

import pytest

from orders.locks import lease
from orders.models import AuditEntry, AuditOutcome, PhoneNumber, Status, SubOrder
from orders.selectors.order_page import order_detail
from orders.services.actions import ActionFailed, sub_order_cancel
from tests.helpers import FAILURES, FAKE_TELNYX, Failure, cached_sub_order


def cancel_requests(sandbox) -> list:
    return [request for request in sandbox.requests if request.path.endswith("/cancel")]


def test_cancel_of_a_pending_sub_order_drops_its_numbers_and_recaches_its_order(
    synced, manager_user
):
    sub_order = cached_sub_order(Status.PENDING)
    numbers = list(sub_order.phone_numbers.values_list("phone_number", flat=True))
    updated_before = sub_order.order.updated_at

    done = sub_order_cancel(sub_order=sub_order, user=manager_user, reason="Customer withdrew")

    assert [(r.method, r.path) for r in cancel_requests(synced)] == [
        ("PATCH", f"/v2/sub_number_orders/{sub_order.pk}/cancel")
    ]
    assert done.stored
    assert done.order.updated_at > updated_before
    detail = order_detail(order_id=sub_order.order_id)
    shown = next(sub for sub in detail.sub_orders if sub.sub_order.pk == sub_order.pk)
    assert shown.display_status == "cancelled"
    assert set(
        PhoneNumber.objects.filter(sub_order=sub_order).values_list(
            "requirements_status", flat=True
        )
    ) == {"cancelled"}
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.http_status) == ("cancel", AuditOutcome.SUCCESS, 200)
    assert (entry.order_id, entry.sub_order_id) == (sub_order.order_id, sub_order.pk)
    assert entry.reason == "Customer withdrew"
    assert entry.sent == {"method": "PATCH", "path": f"/sub_number_orders/{sub_order.pk}/cancel"}
    assert entry.before == {"status": "pending", "phone_numbers": numbers}
    assert entry.after == {"status": "failure"}


def test_cancel_refused_for_non_pending_sub_order_without_calling_telnyx(
    synced, manager_user, cache_snapshot
):
    sub_order = cached_sub_order(Status.SUCCESS)
    before = cache_snapshot(sub_order.order_id)

    with pytest.raises(ActionFailed) as caught:
        sub_order_cancel(sub_order=sub_order, user=manager_user, reason="forged")

    assert caught.value.message.startswith("This sub order is success, not pending")
    assert not caught.value.retryable
    assert synced.requests == []
    assert cache_snapshot(sub_order.order_id) == before
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.http_status, entry.reason) == (
        AuditOutcome.FORBIDDEN,
        None,
        "forged",
    )


def test_second_cancel_of_the_same_sub_order_is_refused_without_calling_telnyx(
    synced, manager_user
):
    sub_order = cached_sub_order(Status.PENDING)
    sub_order_cancel(sub_order=sub_order, user=manager_user, reason="first click")

    with pytest.raises(ActionFailed):
        sub_order_cancel(
            sub_order=SubOrder.objects.get(pk=sub_order.pk), user=manager_user, reason="second"
        )

    assert len(cancel_requests(synced)) == 1
    assert list(AuditEntry.objects.order_by("id").values_list("outcome", flat=True)) == [
        AuditOutcome.SUCCESS,
        AuditOutcome.FORBIDDEN,
    ]


def test_cancel_while_another_cancel_of_it_is_under_way_is_refused(synced, manager_user):
    sub_order = cached_sub_order(Status.PENDING)

    with lease(f"cancel {sub_order.pk}"), pytest.raises(ActionFailed) as caught:
        sub_order_cancel(sub_order=sub_order, user=manager_user, reason="double click")

    assert "being cancelled already" in caught.value.message
    assert synced.requests == []
    assert AuditEntry.objects.get().outcome == AuditOutcome.FORBIDDEN


def test_cancel_telnyx_refuses_leaves_the_cache_as_it_was(synced, manager_user, cache_snapshot):
    sub_order = cached_sub_order(Status.PENDING)
    # Telnyx moved on since the last sync.
    synced.sub_orders[str(sub_order.pk)]["status"] = "success"
    before = cache_snapshot(sub_order.order_id)

    with pytest.raises(ActionFailed) as caught:
        sub_order_cancel(sub_order=sub_order, user=manager_user, reason="too late")

    assert "Only pending sub number orders can be cancelled" in caught.value.message
    assert cache_snapshot(sub_order.order_id) == before
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.http_status, entry.telnyx_code) == (
        AuditOutcome.REFUSED,
        422,
        "10015",
    )
    assert entry.telnyx_detail.startswith("/status: Only pending")


@pytest.mark.parametrize("failure", FAILURES, ids=lambda failure: failure.name)
def test_upstream_failure_cancels_nothing_and_is_audited(
    failure: Failure, mocked_telnyx, order_factory, manager_user, cache_snapshot
):
    failure = failure.written()
    sub_order = order_factory().sub_orders.get()
    url = f"{FAKE_TELNYX}/sub_number_orders/{sub_order.pk}/cancel"
    failure.register(mocked_telnyx, "PATCH", url)
    before = cache_snapshot(sub_order.order_id)

    with pytest.raises(ActionFailed) as caught:
        sub_order_cancel(sub_order=sub_order, user=manager_user, reason="test")

    assert failure.message in caught.value.message
    assert caught.value.retryable is failure.retryable
    # A sub order Telnyx does not know leaves its order as it was: only the order's own 404
    # marks it gone.
    assert cache_snapshot(sub_order.order_id) == before
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.http_status, entry.telnyx_code) == (
        failure.outcome,
        failure.status,
        failure.code,
    )
    # The lease is given back: trying again is possible at once.
    failure.register(mocked_telnyx, "PATCH", url)
    with pytest.raises(ActionFailed) as again:
        sub_order_cancel(sub_order=sub_order, user=manager_user, reason="retry")
    assert again.value.entry.outcome == failure.outcome
