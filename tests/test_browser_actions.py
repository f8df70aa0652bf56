"""The order actions in a real browser (Chromium through Playwright) against the sandbox: HTMX
swaps, messages, field errors, and what support staff see."""

import pytest
from playwright.sync_api import Page, expect

from orders.models import RequirementDefinition, Status, SubOrder
from orders.requirement_forms import requirement_field_name
from tests.helpers import (
    assert_not_reloaded,
    login,
    other_customer_type,
    pending_requirement,
    requirement,
    stays_on_the_page,
)

pytestmark = pytest.mark.browser


def test_manager_fixes_a_requirement_and_sees_the_new_value_after_the_refresh(
    page: Page, roles, synced, manager_user
):
    order, summary = pending_requirement("Customer type")
    new = other_customer_type(summary)
    login(page, "manager")
    page.goto(f"/orders/{order.pk}/")
    stays_on_the_page(page)

    page.fill(f"#id_{requirement_field_name(summary.requirement_id)}", new)
    page.get_by_role("button", name="Send changes to Telnyx").click()

    expect(page.locator("#messages")).to_contain_text("Telnyx accepted 1 requirement value.")
    page.get_by_role("button", name="Refresh from Telnyx").click()
    expect(page.locator("#messages")).to_contain_text("Refreshed from Telnyx.")
    fieldset = page.locator(f"#fix-{summary.requirement_id}")
    expect(fieldset.locator(".value")).to_have_text(new)
    expect(fieldset.locator(".badge")).to_have_text("pending-approval")
    expect(page.locator("#history tbody tr")).to_have_count(2)
    expect(page.locator("#history tbody tr").last).to_contain_text("Fix requirements")
    assert_not_reloaded(page)


def test_manager_cancels_a_pending_sub_order_and_sees_it_cancelled(
    page: Page, roles, synced, manager_user
):
    sub_order = (
        SubOrder.objects.filter(status=Status.PENDING, phone_numbers__isnull=False)
        .order_by("pk")
        .first()
    )
    number = sub_order.phone_numbers.first().phone_number
    login(page, "manager")
    page.goto(f"/orders/{sub_order.order_id}/")
    stays_on_the_page(page)
    row = page.locator(f"#sub-order-{sub_order.pk}")

    row.get_by_role("link", name="Cancel…").click()
    panel = page.locator("#cancel-panel")
    expect(panel).to_contain_text(number)
    panel.get_by_label("Reason").fill("Customer withdrew")
    # A double click sends one request: the button is disabled while the first is in flight.
    panel.get_by_role("button", name="Cancel sub order").dblclick()

    expect(row.locator(".badge").first).to_have_text("cancelled")
    expect(row.get_by_role("link", name="Cancel…")).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Telnyx cancelled the")
    expect(page.locator("#history")).to_contain_text("Customer withdrew")
    assert [r.method for r in synced.requests if r.path.endswith("/cancel")] == ["PATCH"]
    assert_not_reloaded(page)


def test_value_the_sandbox_refuses_shows_next_to_its_field_with_the_input_kept(
    page: Page, roles, synced, manager_user
):
    order, registration = pending_requirement("Business registration number")
    # What the cache knows of the requirement is out of date: only Telnyx catches the value.
    RequirementDefinition.objects.filter(pk=registration.requirement_id).update(
        acceptance_criteria={}
    )
    login(page, "manager")
    page.goto(f"/orders/{order.pk}/")
    field = f"#id_{requirement_field_name(registration.requirement_id)}"

    page.fill("#id_customer_reference", "Typed reference")
    page.fill(field, "12")
    page.get_by_role("button", name="Send changes to Telnyx").click()

    fieldset = page.locator(f"#fix-{registration.requirement_id}")
    expect(fieldset.locator(".errorlist")).to_contain_text("Must be at least")
    expect(page.locator(field)).to_have_value("12")
    expect(page.locator(field)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_customer_reference")).to_have_value("Typed reference")
    expect(page.locator("#requirements .action-failure")).to_contain_text("nothing was changed")
    other = requirement(order, "Customer type")
    expect(page.locator(f"#fix-{other.requirement_id} .errorlist")).to_have_count(0)


def test_support_person_sees_no_write_actions(page: Page, roles, synced, support_user):
    sub_order = SubOrder.objects.filter(status=Status.PENDING).order_by("pk").first()
    login(page, "support")
    page.goto(f"/orders/{sub_order.order_id}/")

    expect(page.locator("#sub-orders")).to_be_visible()
    expect(page.get_by_role("link", name="Cancel…")).to_have_count(0)
    expect(page.locator("#requirements")).to_have_count(0)
    expect(page.get_by_role("button", name="Send changes to Telnyx")).to_have_count(0)
    page.get_by_role("button", name="Refresh from Telnyx").click()
    expect(page.locator("#messages")).to_contain_text("Refreshed from Telnyx.")
