"""A bulk fix in a real browser: started from its queue group's link, its page follows the
background worker without a reload, and stops asking once the fix has finished."""

from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from orders.services.sync import orders_sync
from tests.helpers import (
    assert_not_reloaded,
    login,
    run_tasks,
    sandbox_queue_group,
    stays_on_the_page,
)

pytestmark = pytest.mark.browser


def test_the_job_page_follows_the_worker_live(
    page: Page, live_server, roles, manager_user, sandbox, telnyx_settings
):
    group = sandbox_queue_group(sandbox, size=3)
    orders_sync()
    login(page, "manager")
    page.goto(f"/bulk-fixes/new/?{urlencode(group.params)}")
    expect(page.locator("input[name=orders]:checked")).to_have_count(3)

    page.get_by_label("New value").fill(group.value)
    page.get_by_role("button", name="Send to the chosen orders").click()

    expect(page.locator("#messages")).to_contain_text("Bulk fix started: 3 orders")
    expect(page.locator("#bulk-fix-progress")).to_contain_text("Running in the background")
    stays_on_the_page(page)

    run_tasks()  # the worker's part

    progress = page.locator("#bulk-fix-progress")
    expect(progress).to_contain_text("Finished", timeout=10_000)
    expect(progress.locator('tr[data-state="done"]')).to_have_count(3)
    expect(progress).to_contain_text("3 of 3 orders")
    assert progress.get_attribute("hx-trigger") is None  # no more polling
    assert_not_reloaded(page)
