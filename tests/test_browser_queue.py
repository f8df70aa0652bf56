"""A manager clears the queue in a real browser: opens it from the home page, filters it, sees a
group and follows it to its order."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order, PhoneNumber, RequirementValue
from tests.helpers import login

pytestmark = pytest.mark.browser


@pytest.fixture
def queued(transactional_db, order_factory):
    order_factory(customer_reference="BASEL-SHOP", numbers=2)
    late = order_factory(customer_reference="GENEVA-HQ", numbers=3, country="FR")
    overdue = timezone.now() - timedelta(days=2, hours=1)
    Order.objects.filter(pk=late.pk).update(deadline=overdue)
    PhoneNumber.objects.filter(order=late).update(deadline=overdue)
    RequirementValue.objects.filter(phone_number__order=late).update(
        field_value="ACME", status="declined"
    )
    return late


def test_manager_filters_the_queue_and_opens_a_group_order(
    page, live_server, transactional_db, roles, manager_user, queued
):
    login(page, "manager")
    page.goto("/")
    page.get_by_role("link", name="Open the queue").click()
    page.wait_for_url("**/queue/")
    results = page.locator("#queue-results")
    assert results.get_by_text("BASEL-SHOP").is_visible()
    assert results.get_by_text("overdue by 2 days").is_visible()

    page.check("input[name=declined_only]")
    # htmx swapped the results and pushed the filtered URL: a shareable address.
    page.wait_for_url(re.compile(r"/queue/\?.*declined_only=on"))
    page.locator("#queue-results", has_not_text="BASEL-SHOP").wait_for()
    assert page.locator("#queue-declined").inner_text() == "3"
    group = page.locator("tr.queue-group", has_text="GENEVA-HQ")
    assert group.get_by_text("3 declined").is_visible()

    group.get_by_role("link", name="Open the order").click()
    page.wait_for_url(f"**/orders/{queued.id}/")
    assert page.get_by_text("overdue by 2 days").first.is_visible()

    page.go_back()
    page.wait_for_url(re.compile(r"declined_only=on"))
    assert page.locator("input[name=declined_only]").is_checked()
