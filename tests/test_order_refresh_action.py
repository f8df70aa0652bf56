"""Refresh from Telnyx: order_refresh (audited, every upstream failure) and its view, open to
everyone who may browse orders."""

import json

import pytest
from django.urls import reverse

from orders.models import AuditEntry, AuditOutcome, Order, Status
from orders.services.actions import ActionFailed, order_refresh
from tests.helpers import FAILURES, FAKE_TELNYX, HTMX, Failure, marked_gone


def pending_order() -> Order:
    return Order.objects.filter(status=Status.PENDING).order_by("-created_at").first()


def test_refresh_pulls_the_order_again_and_records_before_and_after(synced, support_user):
    order = pending_order()
    synced.complete_order(str(order.pk))

    done = order_refresh(order=order, user=support_user)

    assert done.order.status == Status.SUCCESS
    assert done.order.synced_at > order.synced_at
    assert Order.objects.get(pk=order.pk).status == Status.SUCCESS
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.username) == (
        "refresh",
        AuditOutcome.SUCCESS,
        "support",
    )
    assert entry.sent == {"method": "GET", "path": f"/number_orders/{order.pk}"}
    assert (entry.before["status"], entry.after["status"]) == ("pending", "success")
    assert entry.after["updated_at"] > entry.before["updated_at"]


@pytest.mark.parametrize("failure", FAILURES, ids=lambda failure: failure.name)
def test_refresh_failure_changes_nothing_and_is_audited(
    failure: Failure, mocked_telnyx, order_factory, support_user, cache_snapshot
):
    order = order_factory()
    failure.register(mocked_telnyx, "GET", f"{FAKE_TELNYX}/number_orders/{order.pk}")
    before = cache_snapshot(order.pk)

    with pytest.raises(ActionFailed) as caught:
        order_refresh(order=order, user=support_user)

    assert failure.message in caught.value.message
    after = cache_snapshot(order.pk)
    assert marked_gone(after) is (failure.outcome == AuditOutcome.GONE)
    marked_gone(before)
    assert after == before
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.http_status, entry.telnyx_code) == (
        failure.outcome,
        failure.status,
        failure.code,
    )


def test_refresh_button_is_shown_to_support_staff(synced, support_client):
    order = pending_order()

    page = support_client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert f'action="{reverse("order_refresh", args=[order.pk])}"' in page
    assert "Refresh from Telnyx" in page
    assert "Last synced" in page


def test_refresh_without_javascript_redirects_to_the_order_with_a_message(synced, support_client):
    order = pending_order()
    url = reverse("order_detail", args=[order.pk])

    response = support_client.post(reverse("order_refresh", args=[order.pk]), follow=True)

    assert response.redirect_chain == [(url, 302)]
    assert "Refreshed from Telnyx." in response.content.decode()
    assert AuditEntry.objects.get().outcome == AuditOutcome.SUCCESS


def test_refresh_with_htmx_swaps_the_order_regions_and_announces_the_change(synced, support_client):
    order = pending_order()
    synced.complete_order(str(order.pk))

    response = support_client.post(reverse("order_refresh", args=[order.pk]), headers=HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert "ordersChanged" in json.loads(response["HX-Trigger"])
    for region in ("order-panel", "sub-orders", "numbers", "cancel-panel", "history"):
        assert f'id="{region}"' in body
    # Support staff may not fix requirements: that region is not theirs to see.
    assert 'id="requirements"' not in body
    assert 'id="messages" class="messages" aria-live="polite" hx-swap-oob="innerHTML"' in body
    assert "Refreshed from Telnyx." in body
    assert "<html" not in body


def test_refresh_failure_with_htmx_shows_a_retry_and_changes_nothing(synced, support_client):
    order = pending_order()
    synced.faults.order_faults[str(order.pk)] = "500"

    response = support_client.post(reverse("order_refresh", args=[order.pk]), headers=HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert 'id="order-panel"' in body and 'id="history"' in body
    assert 'id="numbers"' not in body
    assert "Nothing was changed; try again" in body
    assert ">Retry</button>" in body
    assert Order.objects.get(pk=order.pk).synced_at == order.synced_at


def test_refresh_failure_without_javascript_says_so_on_the_order_page(synced, support_client):
    order = pending_order()
    synced.faults.order_faults[str(order.pk)] = "404"

    response = support_client.post(reverse("order_refresh", args=[order.pk]), follow=True)

    body = response.content.decode()
    assert response.status_code == 200
    assert "Telnyx no longer knows this order (HTTP 404)" in body
    assert "Gone upstream" in body


def test_refresh_needs_the_permission_to_browse(synced, nobody_user, client):
    client.force_login(nobody_user)
    order = pending_order()

    response = client.post(reverse("order_refresh", args=[order.pk]))

    assert response.status_code == 403
    assert synced.requests == []
    assert not AuditEntry.objects.exists()


def test_refresh_is_post_only(synced, support_client):
    response = support_client.get(reverse("order_refresh", args=[pending_order().pk]))

    assert response.status_code == 405
    assert synced.requests == []
