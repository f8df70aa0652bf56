"""Webhook events whose order must be fetched from Telnyx are applied by the background worker:
the endpoint answers at once, however slow Telnyx is, and asks it nothing."""

import pytest
from django_tasks_db.models import DBTaskResult

from orders.models import Order
from tests.helpers import run_tasks, webhook_event
from webhooks.models import Outcome, WebhookEvent
from webhooks.services import event_apply
from webhooks.tasks import EVENT_PRIORITY

URL = "/webhooks/telnyx/"


@pytest.fixture
def deliver(client, webhook_signer):
    def post(body: bytes):
        headers = webhook_signer.headers(body)
        return client.post(URL, data=body, content_type="application/json", headers=headers)

    return post


def test_a_slow_telnyx_does_not_hold_up_the_endpoint_the_worker_applies_the_event(
    db, deliver, sandbox, telnyx_settings
):
    sandbox.faults.latency = 0.5
    order_id, payload = next(iter(sandbox.orders.items()))

    response = deliver(webhook_event(payload, event_id="ev-slow"))

    assert response.status_code == 200
    assert response.json() == {"outcome": "queued"}
    assert sandbox.requests == []  # Telnyx was not asked anything during the request
    assert not Order.objects.filter(pk=order_id).exists()
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "webhooks.tasks.event_apply"
    assert queued.priority == EVENT_PRIORITY

    assert run_tasks() == 1

    record = WebhookEvent.objects.get()
    assert record.outcome == Outcome.REFRESHED
    order = Order.objects.get(pk=order_id)
    assert order.phone_numbers.count() == len(payload["phone_numbers"])
    assert any(request.path.endswith(f"/number_orders/{order_id}") for request in sandbox.requests)


def test_a_repeat_of_a_queued_event_is_not_queued_again(db, deliver, sandbox, telnyx_settings):
    _, payload = next(iter(sandbox.orders.items()))
    body = webhook_event(payload, event_id="ev-twice")

    assert deliver(body).json() == {"outcome": "queued"}
    assert deliver(body).json() == {"outcome": "duplicate-ignored"}

    assert DBTaskResult.objects.count() == 1


def test_an_event_applied_already_is_left_alone_by_a_late_task(
    db, deliver, sandbox, telnyx_settings
):
    _, payload = next(iter(sandbox.orders.items()))
    deliver(webhook_event(payload, event_id="ev-once"))
    record = WebhookEvent.objects.get()
    run_tasks()
    sandbox.requests.clear()

    assert event_apply(event_pk=record.pk) is None
    assert sandbox.requests == []
