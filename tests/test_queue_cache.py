"""The queue's aggregates kept between changes: a repeated view reads them from the cache, and
any change to what the queue shows (an order stored, a value fixed, a cancel, a deadline
passing) is on the next view."""

import uuid
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import RequirementDefinition, Status
from orders.selectors.freshness import orders_change_token
from orders.selectors.queue_totals import queue_totals
from orders.services.actions import sub_order_cancel
from orders.services.store import order_store
from orders.services.telnyx_data import OrderBundle
from tests.helpers import cached_sub_order, telnyx_order, telnyx_sub_orders


def _vat() -> RequirementDefinition:
    return RequirementDefinition.objects.create(
        id=uuid.uuid4(), label="VAT number", field_type="textual", synced_at=timezone.now()
    )


def _queue(client, **params):
    """The queue view's totals, and how many of its queries read the queue's own rows."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("queue"), params)
    assert response.status_code == 200
    return response.context["totals"], sum("orders_queue" in q["sql"] for q in captured)


def test_a_repeated_view_reads_the_groups_and_totals_from_the_cache(support_client, order_factory):
    order_factory(customer_reference="ACME", numbers=3, definitions=[_vat()])
    _queue(support_client)  # the session learns the time zone

    first, cold = _queue(support_client, country="CH")
    again, warm = _queue(support_client, country="CH")

    assert again == first
    assert first.values == 3
    # The page's groups, their count and the totals (each after checking the rows are up to
    # date) came from the queue's rows, then from the cache.
    assert cold >= 3
    assert warm == 0


def test_an_order_stored_with_a_value_given_leaves_the_next_view(support_client, order_factory):
    order = order_factory(customer_reference="ACME", numbers=3, definitions=[_vat()])
    before, _ = _queue(support_client)
    answer = telnyx_order(order)
    given = answer["phone_numbers"][0]["regulatory_requirements"][0]
    given.update(field_value="CHE-123", status="pending-approval")

    order_store(
        bundle=OrderBundle(order=answer, sub_orders=telnyx_sub_orders(order), definitions=[])
    )

    after, _ = _queue(support_client)
    assert (before.values, after.values) == (3, 2)


def test_an_order_no_longer_pending_leaves_the_next_view(support_client, order_factory):
    order = order_factory(customer_reference="ACME", numbers=2, definitions=[_vat()])
    before, _ = _queue(support_client)

    order_store(
        bundle=OrderBundle(
            order=telnyx_order(order, status="success"),
            sub_orders=telnyx_sub_orders(order),
            definitions=[],
        )
    )

    after, _ = _queue(support_client)
    assert (before.orders, after.orders) == (1, 0)
    assert "ACME" not in support_client.get(reverse("queue")).content.decode()


def test_a_cancelled_sub_order_leaves_the_next_view(synced, client, manager_user):
    client.force_login(manager_user)
    sub_order = cached_sub_order(Status.PENDING)
    before, _ = _queue(client)

    sub_order_cancel(sub_order=sub_order, user=manager_user, reason="Customer withdrew")

    after, _ = _queue(client)
    assert after.numbers < before.numbers


def test_the_overdue_count_moves_with_the_clock_alone(order_factory):
    order_factory(customer_reference="ACME", numbers=2, definitions=[_vat()])
    token = orders_change_token()
    now = timezone.now()

    # order_factory's deadline is two days ahead; nothing changes in between.
    assert queue_totals(now=now, token=token).overdue == 0
    assert queue_totals(now=now + timedelta(days=1), token=token).overdue == 0
    assert queue_totals(now=now + timedelta(days=3), token=token).overdue == 2
