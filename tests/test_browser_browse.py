"""A support person browses in a real browser: filters, searches a number, opens its order."""

import re

import pytest

from orders.models import PhoneNumber, RequirementValue
from tests.helpers import axe_violations, login

pytestmark = pytest.mark.browser


@pytest.fixture
def orders(transactional_db, order_factory):
    order_factory(customer_reference="BASEL-SHOP", numbers=2, status="success")
    wanted = order_factory(customer_reference="ZURICH-HQ", numbers=2)
    number = wanted.phone_numbers.order_by("id").first()
    PhoneNumber.objects.filter(pk=number.pk).update(
        phone_number="+41449871234", digits="41449871234"
    )
    RequirementValue.objects.filter(phone_number=number).update(
        field_value="CHE-987.654.321", status="pending-approval"
    )
    return wanted


def test_support_staff_filters_searches_and_opens_an_order(
    page, live_server, transactional_db, roles, support_user, orders
):
    login(page, "support")
    page.goto("/orders/")
    table = page.locator("#order-table")
    assert table.get_by_text("BASEL-SHOP").is_visible()

    page.select_option("select[name=status]", "pending")
    # htmx swapped the table and pushed the filtered URL: no page load, a shareable address.
    page.wait_for_url(re.compile(r"/orders/\?.*status=pending"))
    page.locator("#order-table", has_not_text="BASEL-SHOP").wait_for()
    assert table.get_by_text("ZURICH-HQ").is_visible()

    page.fill("input[name=q]", "987 1234")
    page.wait_for_url(re.compile(r"q=987(%20|\+)1234"))
    page.locator("#order-count", has_text="1 order").wait_for()
    assert page.locator("form.filters select[name=status]").input_value() == "pending"

    page.get_by_role("link", name="ZURICH-HQ").click()
    page.wait_for_url(f"**/orders/{orders.id}/")
    number = page.locator("tbody", has_text="+41449871234")
    assert number.get_by_text("Business registration number").is_visible()
    assert number.get_by_text("CHE-987.654.321").is_visible()
    assert number.get_by_text("pending-approval").is_visible()

    page.go_back()
    page.wait_for_url(re.compile(r"q=987(%20|\+)1234"))
    page.locator("#order-table", has_text="ZURICH-HQ").wait_for()


def test_sorting_and_paging_links_swap_the_table(
    page, live_server, transactional_db, roles, support_user, orders
):
    login(page, "support")
    page.goto("/orders/")
    page.evaluate("window.__sameDocument = true")

    page.get_by_role("link", name="Customer reference").click()
    page.wait_for_url(re.compile(r"sort=reference"))
    page.locator("#order-table th[aria-sort=ascending]").wait_for()

    rows = page.locator("#order-table td.reference a")
    assert rows.all_inner_texts() == ["BASEL-SHOP", "ZURICH-HQ"]
    # The sort came from an htmx swap, not a page load, and the form now carries it.
    assert page.evaluate("window.__sameDocument") is True
    assert page.locator("form.filters input[name=sort]").input_value() == "reference"


def test_every_page_loads_only_what_the_app_itself_serves(
    page, live_server, transactional_db, roles, manager_user, orders
):
    # The dashboard runs on an intranet: a CDN or any other origin would leave pages broken.
    answered = {}
    page.on("response", lambda response: answered.setdefault(response.url, response.status))

    login(page, "manager")
    for path in ["/", "/orders/", "/orders/?q=ZURICH", f"/orders/{orders.id}/"]:
        page.goto(path)
        page.wait_for_load_state("networkidle")

    assert any(url.endswith(".svg") for url in answered)  # the favicon, from the static files
    assert any("htmx" in url for url in answered)
    foreign = [url for url in answered if not url.startswith(live_server.url)]
    assert foreign == []
    failed = {url: status for url, status in answered.items() if status >= 400}
    assert failed == {}


def test_support_staff_filter_a_big_orders_numbers_in_place(
    page, live_server, transactional_db, roles, support_user, order_factory
):
    big = order_factory(numbers=40, customer_reference="BIG-ORDER")
    wanted = big.phone_numbers.order_by("phone_number").last()
    login(page, "support")
    page.goto(f"/orders/{big.pk}/")
    group = page.locator("details.number-group")
    assert group.get_attribute("open") is None  # 40 numbers: collapsed

    page.fill("#numbers-filter input[name=digits]", wanted.phone_number[-6:])
    page.wait_for_url(re.compile(rf"digits={wanted.phone_number[-6:]}"))
    page.locator("#number-groups", has_text="1 of 40 numbers").wait_for()
    assert page.locator("#number-groups .e164").all_inner_texts() == [wanted.phone_number]
    # Typing goes on in the same field: the swap replaced the groups, not the filter.
    assert page.evaluate("document.activeElement.name") == "digits"
    assert axe_violations(page) == []
