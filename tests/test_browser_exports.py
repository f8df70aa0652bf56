"""Exports in a real browser: the link downloads what the filters show after htmx swapped them."""

import csv
import re
from pathlib import Path

import pytest

from tests.helpers import login

pytestmark = pytest.mark.browser


def _download(page, link: str) -> list[dict]:
    with page.expect_download() as download:
        page.get_by_role("link", name=link).click()
    return list(csv.DictReader(Path(download.value.path()).read_text().splitlines()))


def test_exports_carry_the_filters_htmx_applied(
    page, live_server, transactional_db, roles, support_user, order_factory
):
    order_factory(customer_reference="BASEL-SHOP", numbers=2, status="success")
    wanted = order_factory(customer_reference="ZURICH-HQ", numbers=3)
    login(page, "support")
    page.goto("/orders/")

    page.select_option("select[name=status]", "pending")
    page.wait_for_url(re.compile(r"status=pending"))
    page.locator("#order-table", has_not_text="BASEL-SHOP").wait_for()
    rows = _download(page, "Export as CSV")

    assert [row["customer_reference"] for row in rows] == ["ZURICH-HQ"] * 3

    page.goto(f"/orders/{wanted.pk}/")
    last = wanted.phone_numbers.order_by("phone_number").last().phone_number
    page.fill("input[name=digits]", last[-5:])
    page.get_by_text("Export these numbers as CSV").wait_for()
    rows = _download(page, "Export these numbers as CSV")

    assert [row["phone_number"] for row in rows] == [last]
