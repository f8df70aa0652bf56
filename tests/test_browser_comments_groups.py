"""Telnyx's comments and requirement groups in a real browser (Chromium through Playwright)
against the sandbox: a manager reads why a value was declined, replies, marks it read and
attaches a group; support staff see the same, read only."""

import pytest
from django.utils.html import strip_tags
from playwright.sync_api import Page, expect

from tests.helpers import (
    assert_not_reloaded,
    declined_thread,
    login,
    pending_sub_order_with_group,
    stays_on_the_page,
)

pytestmark = pytest.mark.browser


def test_manager_reads_why_a_value_was_declined_replies_and_marks_it_read(
    page: Page, roles, synced, manager_user
):
    sub_order, comment = declined_thread()
    login(page, "manager")
    page.goto(f"/orders/{sub_order.order_id}/")
    stays_on_the_page(page)

    reason = page.locator("#requirements .decline-reason").first
    expect(reason).to_contain_text(strip_tags(comment.body))
    thread = page.locator(f"#thread-{sub_order.pk}")
    expect(thread.locator(f"#comment-{comment.pk} .badge")).to_have_text("unread")

    thread.get_by_label("Reply to Telnyx").fill("Could you extend the deadline, please?")
    thread.get_by_role("button", name="Send reply").click()
    expect(page.locator("#messages")).to_contain_text("was sent to Telnyx")
    expect(thread).to_contain_text("Could you extend the deadline, please?")
    expect(thread.locator("li", has_text="Could you extend").locator("strong")).to_have_text("Us")

    unread_before = page.locator("#unread-comments").inner_text()
    thread.locator(f"#comment-{comment.pk}").get_by_role("button", name="Mark read").click()
    expect(page.locator("#messages")).to_contain_text("Marked read.")
    expect(thread.locator(f"#comment-{comment.pk} .badge")).to_have_count(0)
    expect(page.locator("#unread-comments")).not_to_have_text(unread_before)
    expect(page.locator("#history")).to_contain_text("Mark comments read")
    assert_not_reloaded(page)


def test_manager_attaches_a_group_to_a_pending_swiss_sub_order(
    page: Page, roles, synced, manager_user
):
    sub_order, group = pending_sub_order_with_group("CH")
    login(page, "manager")
    page.goto(f"/orders/{sub_order.order_id}/")
    stays_on_the_page(page)

    row = page.locator(f"#group-{sub_order.pk}-{group.pk}")
    expect(row.locator(".badge")).to_have_text("approved")
    expect(row).to_contain_text("→")
    row.get_by_role("button", name="Attach").click()

    expect(page.locator("#messages")).to_contain_text("Telnyx attached the requirement group")
    expect(page.locator("#history")).to_contain_text("Attach a requirement group")
    # Its values are now the sub order's: attaching it again would change nothing.
    expect(page.locator(f"#group-{sub_order.pk}-{group.pk}")).to_contain_text("Nothing")
    assert_not_reloaded(page)


def test_support_person_sees_threads_reasons_and_groups_read_only(
    page: Page, roles, synced, support_user
):
    sub_order, comment = declined_thread()
    login(page, "support")
    page.goto(f"/orders/{sub_order.order_id}/")

    expect(page.locator(f"#comment-{comment.pk}")).to_contain_text(strip_tags(comment.body))
    expect(page.locator(f"#comment-{comment.pk} .badge")).to_have_text("unread")
    expect(page.get_by_role("button", name="Mark read")).to_have_count(0)
    expect(page.get_by_role("button", name="Send reply")).to_have_count(0)

    swiss, group = pending_sub_order_with_group("CH")
    page.goto(f"/orders/{swiss.order_id}/")
    expect(page.locator(f"#group-{swiss.pk}-{group.pk}")).to_contain_text(group.status)
    expect(page.get_by_role("button", name="Attach")).to_have_count(0)
    page.goto("/")
    expect(page.locator("#unread-comments")).not_to_have_text("0")
