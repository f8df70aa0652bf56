"""Every page, and every page after an HTMX swap, as axe-core judges it: no critical or serious
violation. Focus after a swap goes where a keyboard or screen-reader user expects it."""

import pytest
from playwright.sync_api import Page, expect

from orders.requirement_forms import requirement_field_name
from tests.helpers import axe_violations, login, pending_requirement

pytestmark = pytest.mark.browser


def test_login_page_has_no_serious_violations(page: Page, transactional_db):
    page.goto("/accounts/login/")
    assert axe_violations(page) == []


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/orders/",
        "/orders/?status=pending&sort=-numbers&deadline=overdue",
        "/queue/",
        "/queue/?declined_only=on&sort=-numbers",
        "/settings/",
    ],
)
def test_support_pages_have_no_serious_violations(page: Page, roles, synced, support_user, path):
    login(page, "support")
    page.goto(path)
    assert axe_violations(page) == []


def _manager_on_order_with(page: Page, label: str):
    """The manager's tab on the page of an order with a pending requirement of that label."""
    order, summary = pending_requirement(label)
    login(page, "manager")
    page.goto(f"/orders/{order.pk}/")
    return summary


def test_order_page_for_a_manager_has_no_serious_violations(
    page: Page, roles, synced, manager_user
):
    _manager_on_order_with(page, "Customer type")
    assert axe_violations(page) == []


def test_a_managers_bulk_fix_page_has_no_serious_violations(
    page: Page, roles, synced, manager_user
):
    login(page, "manager")
    page.goto("/queue/")
    page.get_by_role("link", name="Fix all").first.click()
    page.wait_for_url("**/bulk-fixes/new/**")
    assert axe_violations(page) == []


def test_refused_value_moves_focus_to_its_field_and_announces_the_message(
    page: Page, roles, synced, manager_user
):
    registration = _manager_on_order_with(page, "Business registration number")
    field = page.locator(f"#id_{requirement_field_name(registration.requirement_id)}")
    field.fill("x" * 300)
    page.get_by_role("button", name="Send changes to Telnyx").click()

    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    assert axe_violations(page) == []


def test_after_an_action_focus_lands_on_its_region_and_the_message_is_announced(
    page: Page, roles, synced, manager_user
):
    _manager_on_order_with(page, "Customer type")
    page.evaluate("window.liveRegion = document.getElementById('messages')")
    page.get_by_role("button", name="Refresh from Telnyx").click()

    expect(page.locator("#messages")).to_contain_text("Refreshed from Telnyx.")
    # The button pressed was swapped away: focus goes to the refreshed region's heading, not <body>.
    expect(page.locator("#order-title")).to_be_focused()
    # Screen readers announce changes to a live region they already know, not a new one.
    assert page.evaluate("window.liveRegion === document.getElementById('messages')")
    assert page.evaluate("document.getElementById('messages').getAttribute('aria-live')") in (
        "polite",
        "assertive",
    )
