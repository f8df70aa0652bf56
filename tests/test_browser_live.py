"""In a real browser: an order completes in the sandbox while its page and the filtered list are
open; both show it without a reload, keeping what was typed and the filters set."""

import pytest
from playwright.sync_api import expect

from orders.services import sync
from tests.helpers import login

pytestmark = pytest.mark.browser


def test_open_pages_follow_an_order_completed_in_the_sandbox(
    page,
    live_server,
    transactional_db,
    roles,
    manager_user,
    webhook_sandbox,
    settings,
):
    settings.CHANGES_POLL_SECONDS = 1
    sync.orders_sync()
    order_id = next(id_ for id_, o in webhook_sandbox.orders.items() if o["status"] == "pending")
    order_url = f"/orders/{order_id}/"
    login(page, "manager")

    page.goto(order_url)
    status = page.locator("#order-panel .panel-head .badge")
    assert status.inner_text() == "pending"
    page.fill("#id_customer_reference", "NEW-REF still typing")

    listing = page.context.new_page()
    listing.goto("/orders/?status=pending&sort=reference")
    row_link = listing.locator(f'#order-table a[href="{order_url}"]')
    assert row_link.count() > 0

    webhook_sandbox.complete_order(order_id)

    # The order page: its status changes in place; the form keeps what was typed, and says why
    # it may be out of date.
    page.locator('#order-panel .panel-head .badge[data-status="success"]').wait_for()
    page.locator("#sub-orders .badge", has_text="pending").first.wait_for(state="detached")
    assert page.input_value("#id_customer_reference") == "NEW-REF still typing"
    expect(page.locator("#id_customer_reference")).to_be_focused()
    assert page.locator(".live-note").is_visible()
    assert page.url.endswith(order_url)

    # The list: the order leaves the pending list, the filters stay as they were set.
    row_link.first.wait_for(state="detached")
    assert listing.locator("form.filters select[name=status]").input_value() == "pending"
    assert listing.url.endswith("/orders/?status=pending&sort=reference")
