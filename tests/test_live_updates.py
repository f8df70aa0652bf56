"""Open pages notice changes: Order.changed_at moves only when what a page shows changed, the
changes endpoint answers 204 or the ordersChanged event, and the pages carry their pollers and
fetch the right regions again."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from orders.selectors.freshness import change_token, orders_change_token, orders_changed_since
from orders.services import sync
from tests.helpers import HTMX, html_section

pytestmark = pytest.mark.django_db

CHANGES = reverse("order_changes")


def poller_url(html: str) -> str:
    found = re.search(r'<div id="changes-poller"[^>]*hx-get="([^"]+)"', html)
    assert found, "no changes poller on the page"
    return found.group(1).replace("&amp;", "&")


def touch(order: Order, *, minutes: float = 0) -> Order:
    """As order_store does when the order really changed."""
    order.changed_at = timezone.now() + timedelta(minutes=minutes)
    order.save(update_fields=["changed_at"])
    return order


# --- what counts as a change -------------------------------------------------------------------


def test_sync_that_changes_nothing_moves_no_change_token(telnyx_settings, sandbox):
    sync.orders_sync()
    token = orders_change_token()
    assert token > 0

    run = sync.orders_sync()

    assert run.updated == 0 and run.unchanged == 20
    assert orders_changed_since(since=token) is None


def test_order_changed_upstream_moves_its_token_and_only_its_own(telnyx_settings, sandbox):
    sync.orders_sync()
    token = orders_change_token()
    pending = [id_ for id_, order in sandbox.orders.items() if order["status"] == "pending"]
    completed, untouched = pending[0], pending[1]
    sandbox.complete_order(completed)

    sync.orders_sync()

    assert orders_changed_since(since=token) is not None
    assert orders_changed_since(since=token, order_id=completed) is not None
    assert orders_changed_since(since=token, order_id=untouched) is None


def test_order_gone_upstream_counts_as_changed(telnyx_settings, sandbox):
    sync.orders_sync()
    order_id = next(iter(sandbox.orders))
    token = orders_change_token(order_id=order_id)
    sandbox.faults.order_faults[order_id] = "404"

    sync.orders_sync(order_id=order_id)

    assert orders_changed_since(since=token, order_id=order_id) is not None


# --- the endpoint -------------------------------------------------------------------------------


def test_nothing_changed_answers_204_and_nothing_else(support_client, order_factory):
    order = touch(order_factory())

    response = support_client.get(CHANGES, {"since": change_token(order.changed_at)})

    assert response.status_code == 204
    assert response.content == b""
    assert "HX-Trigger" not in response
    assert "no-store" in response["Cache-Control"]


def test_a_change_answers_the_event_and_a_poller_from_the_new_token(support_client, order_factory):
    order = touch(order_factory())
    since = change_token(order.changed_at)
    touch(order, minutes=1)

    response = support_client.get(CHANGES, {"since": since}, headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Trigger"] == '{"ordersChanged": {}}'
    assert (
        poller_url(response.content.decode()) == f"{CHANGES}?since={change_token(order.changed_at)}"
    )
    follow_up = support_client.get(CHANGES, {"since": change_token(order.changed_at)})
    assert follow_up.status_code == 204


def test_a_change_to_another_order_does_not_concern_an_order_page(support_client, order_factory):
    shown, other = touch(order_factory()), touch(order_factory())
    since = change_token(max(shown.changed_at, other.changed_at))
    touch(other, minutes=1)

    assert support_client.get(CHANGES, {"since": since, "order": shown.pk}).status_code == 204
    assert support_client.get(CHANGES, {"since": since}).status_code == 200
    touch(shown, minutes=2)
    answer = support_client.get(CHANGES, {"since": since, "order": shown.pk})
    assert answer.status_code == 200
    assert f"order={shown.pk}" in poller_url(answer.content.decode())


def test_orders_never_changed_since_the_field_existed_poll_from_zero(support_client, order_factory):
    order = order_factory()
    Order.objects.filter(pk=order.pk).update(changed_at=None)  # as before the field existed

    assert support_client.get(CHANGES, {"since": 0}).status_code == 204


@pytest.mark.parametrize(
    "query",
    [{}, {"since": "yesterday"}, {"since": -1}, {"since": 2**60}, {"since": 0, "order": "nope"}],
    ids=["missing", "not-a-number", "negative", "far-future", "bad-order-id"],
)
def test_unreadable_poll_is_a_400(support_client, query):
    assert support_client.get(CHANGES, query).status_code == 400


def test_changes_are_for_people_who_may_browse_orders(client, nobody_user):
    assert client.get(CHANGES, {"since": 0}).status_code == 302
    client.force_login(nobody_user)
    assert client.get(CHANGES, {"since": 0}).status_code == 403


# --- the pages ----------------------------------------------------------------------------------


def test_list_polls_from_the_latest_change_outside_its_table(support_client, order_factory):
    touch(order_factory(), minutes=-5)
    latest = touch(order_factory())

    html = support_client.get(
        "/orders/", {"status": "pending", "sort": "reference"}
    ).content.decode()

    assert poller_url(html) == f"{CHANGES}?since={change_token(latest.changed_at)}"
    assert html.index('id="changes-poller"') < html.index('id="order-table"')
    # The table refreshes itself with the filters, sort and page it shows.
    table = re.search(r'<div id="order-table"[^>]*>', html).group()
    assert 'hx-get="/orders/?status=pending&amp;sort=reference"' in table
    assert 'hx-trigger="ordersChanged from:body"' in table
    # ... but never over the answer to a filter change made meanwhile.
    assert 'hx-sync="form.filters:drop"' in table


def test_order_page_polls_for_its_own_changes_from_inside_its_panel(support_client, order_factory):
    order = touch(order_factory())

    html = support_client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert poller_url(html) == f"{CHANGES}?since={change_token(order.changed_at)}&order={order.pk}"
    panel = html_section(html, "order-panel")
    assert 'id="changes-poller"' in panel
    listener = re.search(r'<div id="order-live"[^>]*>', html, re.S).group()
    assert 'hx-trigger="ordersChanged from:body target:#changes-poller"' in listener
    assert (
        'hx-select-oob="#order-panel,#sub-orders,#numbers,#history,#requirement-groups"' in listener
    )


def test_order_page_fetched_again_answers_its_read_only_regions_and_no_form(
    manager_client, order_factory
):
    order = touch(order_factory())
    order.status = "success"
    order.save()

    response = manager_client.get(reverse("order_detail", args=[order.pk]), headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    for region in ("order-panel", "sub-orders", "numbers", "history", "requirement-groups"):
        assert f'id="{region}"' in html
    assert 'id="requirements"' not in html
    assert 'data-status="success">success</span>' in html
    assert "This order changed while the page was open" in html
    assert "<main" not in html


def test_support_staff_get_no_note_about_a_form_they_do_not_have(support_client, order_factory):
    order = touch(order_factory())

    html = support_client.get(
        reverse("order_detail", args=[order.pk]), headers=HTMX
    ).content.decode()

    assert 'id="order-panel"' in html
    assert "changed while the page was open" not in html


def test_order_page_without_htmx_is_the_whole_page_without_the_note(manager_client, order_factory):
    order = touch(order_factory())

    html = manager_client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert "<main" in html
    assert 'id="requirements"' in html
    assert "changed while the page was open" not in html


def test_pages_poll_as_often_as_configured(support_client, order_factory, settings):
    settings.CHANGES_POLL_SECONDS = 3
    order = order_factory()

    for url in ("/orders/", reverse("order_detail", args=[order.pk])):
        html = support_client.get(url).content.decode()
        poller = re.search(r'<div id="changes-poller".*?</div>', html, re.S).group()
        assert 'hx-trigger="every 3s"' in poller
