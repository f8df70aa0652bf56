"""Sandbox to dashboard over real HTTP: an order completes in the sandbox, the sandbox posts its
signed webhook to the live server, the receiver verifies and applies it, and the cached order,
its history and the open pages' change token follow."""

import pytest

from orders.models import Order, SubOrder
from orders.selectors.freshness import orders_change_token, orders_changed_since
from orders.services import sync
from sandbox.server import Sandbox
from tests.helpers import eventually, run_tasks
from webhooks.models import Outcome, WebhookEvent

WAIT = 15  # seconds a test waits for a delivery before failing; never a timing assertion


def delivered(box: Sandbox, event_count: int = 1) -> list:
    """Waits until the sandbox has `event_count` deliveries the dashboard answered (any status)."""

    def answered() -> list:
        done = [d for d in box.webhook_deliveries if d.status is not None]
        return done if len(done) >= event_count else []

    return eventually(answered, seconds=WAIT)


def a_pending_order(box: Sandbox) -> str:
    return next(id_ for id_, order in box.orders.items() if order["status"] == "pending")


@pytest.mark.django_db(transaction=True)
def test_order_completed_in_the_sandbox_is_completed_in_the_cache(webhook_sandbox):
    sync.orders_sync()
    order_id = a_pending_order(webhook_sandbox)
    token = orders_change_token(order_id=order_id)
    assert Order.objects.get(pk=order_id).status == "pending"

    webhook_sandbox.complete_order(order_id)

    (delivery,) = delivered(webhook_sandbox)
    assert delivery.status == 200
    run_tasks()  # the worker fetching the order the event names
    assert delivery.event_type == "number_order.complete"
    order = Order.objects.get(pk=order_id)
    assert order.status == "success"
    assert set(SubOrder.objects.filter(order=order).values_list("status", flat=True)) == {"success"}
    event = WebhookEvent.objects.get(event_id=delivery.event_id)
    assert event.order_id == order.pk
    assert event.outcome in {Outcome.APPLIED, Outcome.REFRESHED}
    # The open order page's next poll sees it.
    assert orders_changed_since(since=token, order_id=order_id) is not None


@pytest.mark.django_db(transaction=True)
def test_completion_of_an_order_never_synced_creates_it(webhook_sandbox):
    order_id = a_pending_order(webhook_sandbox)

    webhook_sandbox.complete_order(order_id)

    (delivery,) = delivered(webhook_sandbox)
    assert delivery.status == 200
    run_tasks()  # the worker fetching the order the event names
    assert Order.objects.get(pk=order_id).status == "success"


@pytest.mark.django_db(transaction=True)
def test_delivery_signed_with_another_key_is_refused_and_changes_nothing(webhook_sandbox, settings):
    sync.orders_sync()
    settings.TELNYX_PUBLIC_KEY = Sandbox(seed=8).public_key_b64
    order_id = a_pending_order(webhook_sandbox)

    webhook_sandbox.complete_order(order_id)

    assert delivered(webhook_sandbox)[0].status == 403
    assert Order.objects.get(pk=order_id).status == "pending"
    assert not WebhookEvent.objects.exists()
