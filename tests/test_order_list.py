"""The order list: columns, each filter, sorting, pagination, HTMX swaps, fixed query count."""

import re
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.list_columns import COLUMNS
from orders.models import Order
from orders.views import PAGE_SIZE

LIST = reverse("order_list")


def _refs(response) -> list[str]:
    """The customer references of the rows, in order."""
    assert response.status_code == 200
    html = response.content.decode()
    return re.findall(r'<td class="reference"><a href="/orders/[0-9a-f-]+/">([^<]+)</a>', html)


@pytest.fixture
def two_orders(order_factory):
    old = order_factory(
        customer_reference="OLD-CH",
        status="success",
        requirements_met=True,
        country="CH",
        number_type="local",
        numbers=1,
        created_at=timezone.now() - timedelta(days=10),
    )
    new = order_factory(
        customer_reference="NEW-DE",
        status="pending",
        country="DE",
        number_type="toll_free",
        numbers=3,
        created_at=timezone.now() - timedelta(days=1),
    )
    return old, new


def test_list_shows_each_column(support_client, order_factory):
    order = order_factory(customer_reference="ACME-7", status="pending", numbers=3, country="CH")
    Order.objects.filter(pk=order.pk).update(countries="CH DE")

    html = support_client.get(LIST).content.decode()

    row = re.search(r"<tr>\s*<td><a href=\"/orders/[^\"]+/\">.*?</tr>", html, re.S)[0]
    assert f'href="{reverse("order_detail", args=[order.id])}"' in row
    assert "ACME-7" in row
    assert 'data-status="pending">pending</span>' in row
    assert '<td class="num">3</td>' in row
    assert 'data-status="no">no</span>' in row
    assert "<td>CH DE</td>" in row
    created = timezone.localtime(order.created_at).strftime("%Y-%m-%d %H:%M")
    assert created in row


def test_list_has_a_header_and_in_each_row_a_cell_per_column(support_client, two_orders):
    html = support_client.get(LIST).content.decode()

    head = re.search(r"<thead>.*?</thead>", html, re.S)[0]
    labels = re.findall(r"<th scope=\"col\"[^>]*>\s*(?:<a [^>]*>)?([^<]+)<", head)
    assert labels == [column.label for column in COLUMNS]
    rows = re.findall(r"<tr>.*?</tr>", re.search(r"<tbody>.*?</tbody>", html, re.S)[0], re.S)
    assert [row.count("<td") for row in rows] == [len(COLUMNS)] * 2


def test_list_escapes_what_telnyx_sent_and_flags_gone_orders(support_client, order_factory):
    order = order_factory(customer_reference='<img src=x onerror="alert(1)">')
    Order.objects.filter(pk=order.pk).update(countries="<b>CH</b>", gone_at=timezone.now())
    order_factory(customer_reference="")

    html = support_client.get(LIST).content.decode()

    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<td>&lt;b&gt;CH&lt;/b&gt;</td>" in html
    assert html.count('data-status="gone">gone upstream</span>') == 1
    assert ">(no reference)</a>" in html


def test_list_is_newest_first_by_default(support_client, two_orders):
    assert _refs(support_client.get(LIST)) == ["NEW-DE", "OLD-CH"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "success"}, ["OLD-CH"]),
        ({"status": "pending"}, ["NEW-DE"]),
        ({"requirements_met": "yes"}, ["OLD-CH"]),
        ({"requirements_met": "no"}, ["NEW-DE"]),
        ({"requirements_met": ""}, ["NEW-DE", "OLD-CH"]),
        ({"country": "ch"}, ["OLD-CH"]),
        ({"country": "DE"}, ["NEW-DE"]),
        ({"number_type": "toll_free"}, ["NEW-DE"]),
        ({"country": "CH", "number_type": "toll_free"}, []),
        ({"status": "success", "country": "CH"}, ["OLD-CH"]),
    ],
)
def test_list_filters(support_client, two_orders, params, expected):
    assert _refs(support_client.get(LIST, params)) == expected


def test_list_filters_on_created_dates_inclusive(support_client, two_orders):
    old, new = two_orders
    old_day = timezone.localdate(old.created_at).isoformat()
    new_day = timezone.localdate(new.created_at).isoformat()

    assert _refs(support_client.get(LIST, {"created_from": new_day})) == ["NEW-DE"]
    assert _refs(support_client.get(LIST, {"created_to": old_day})) == ["OLD-CH"]
    both = {"created_from": old_day, "created_to": new_day}
    assert _refs(support_client.get(LIST, both)) == ["NEW-DE", "OLD-CH"]


def test_created_filter_counts_the_whole_last_day(support_client, order_factory, settings):
    settings.TIME_ZONE = "Europe/Zurich"
    late = datetime(2025, 12, 31, 23, 30, tzinfo=timezone.get_current_timezone())
    order_factory(customer_reference="NEW-YEARS-EVE", created_at=late)

    december = {"created_from": "2025-12-01", "created_to": "2025-12-31"}
    assert _refs(support_client.get(LIST, december)) == ["NEW-YEARS-EVE"]
    assert _refs(support_client.get(LIST, {"created_from": "2026-01-01"})) == []


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"status": "lost"}, "status", "Select a valid choice"),
        ({"created_from": "yesterday"}, "created_from", "Enter a valid date"),
        ({"country": "Switzerland"}, "country", "Ensure this value has at most 2 characters"),
        ({"country": "C1"}, "country", "two-letter country code"),
        ({"number_type": "fax"}, "number_type", "Select a valid choice"),
        (
            {"created_from": "2026-02-01", "created_to": "2026-01-01"},
            "created_to",
            "on or after",
        ),
    ],
)
def test_invalid_filter_is_reported_next_to_the_form_and_ignored(
    support_client, two_orders, params, field, message
):
    response = support_client.get(LIST, params)

    html = response.content.decode()
    errors = re.search(r'<div id="filter-errors".*?</div>', html, re.S)[0]
    assert message in errors
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', html)
    # The rows still show: the bad value is left out, nothing else.
    assert _refs(response) == ["NEW-DE", "OLD-CH"]


def test_unknown_sort_is_reported_and_the_default_order_kept(support_client, two_orders):
    response = support_client.get(LIST, {"sort": "password"})

    assert "Select a valid choice" in response.content.decode()
    assert _refs(response) == ["NEW-DE", "OLD-CH"]


def test_invalid_value_keeps_what_the_user_typed(support_client, db):
    html = support_client.get(LIST, {"created_from": "yesterday", "q": "ACME"}).content.decode()

    assert 'value="yesterday"' in html
    assert 'value="ACME"' in html


def test_valid_filters_apply_when_another_is_invalid(support_client, two_orders):
    assert _refs(support_client.get(LIST, {"status": "success", "country": "XYZ"})) == ["OLD-CH"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("created", ["A-OLD", "B-MID", "C-NEW"]),
        ("-created", ["C-NEW", "B-MID", "A-OLD"]),
        ("reference", ["A-OLD", "B-MID", "C-NEW"]),
        ("-reference", ["C-NEW", "B-MID", "A-OLD"]),
        ("status", ["C-NEW", "A-OLD", "B-MID"]),  # failure, pending, success
        ("numbers", ["B-MID", "C-NEW", "A-OLD"]),
        ("-numbers", ["A-OLD", "C-NEW", "B-MID"]),
    ],
)
def test_list_sorts_by_whitelisted_keys(support_client, order_factory, sort, expected):
    now = timezone.now()
    order_factory(
        customer_reference="A-OLD", status="pending", numbers=5, created_at=now - timedelta(days=3)
    )
    order_factory(
        customer_reference="B-MID", status="success", numbers=1, created_at=now - timedelta(days=2)
    )
    order_factory(
        customer_reference="C-NEW", status="failure", numbers=3, created_at=now - timedelta(days=1)
    )

    assert _refs(support_client.get(LIST, {"sort": sort})) == expected


def test_sort_headers_keep_the_filters_and_toggle(support_client, two_orders):
    html = support_client.get(LIST, {"status": "pending", "sort": "-created", "page": "1"}).content
    html = html.decode()

    assert 'aria-sort="descending"' in html
    assert 'href="/orders/?status=pending&amp;sort=created"' in html  # toggles, page dropped
    assert 'href="/orders/?status=pending&amp;sort=reference"' in html
    assert 'href="/orders/?status=pending&amp;sort=-numbers"' in html


def _many_orders(order_factory, count: int) -> None:
    now = timezone.now()
    for i in range(count):
        order_factory(
            customer_reference=f"R{i:03d}", numbers=1, created_at=now - timedelta(minutes=i)
        )


def test_list_pages_by_fifty_with_links_that_keep_filters(support_client, order_factory):
    _many_orders(order_factory, PAGE_SIZE + 5)

    first = support_client.get(LIST, {"status": "pending"})
    second = support_client.get(LIST, {"status": "pending", "page": 2})

    assert len(_refs(first)) == PAGE_SIZE
    assert _refs(second) == [f"R{i:03d}" for i in range(PAGE_SIZE, PAGE_SIZE + 5)]
    html = first.content.decode()
    assert f"{PAGE_SIZE + 5} orders" in html
    assert 'href="?status=pending&amp;page=2"' in html
    assert 'rel="next"' in html
    assert '<span aria-current="page" class="current">1</span>' in html


@pytest.mark.parametrize("sort", ["-created", "created"])
def test_orders_created_at_the_same_time_each_show_on_exactly_one_page(
    support_client, order_factory, sort
):
    # A bulk import stamps many orders with one time: the pages must still split them cleanly.
    same_moment = timezone.now() - timedelta(days=3)
    for i in range(PAGE_SIZE + 20):
        order_factory(customer_reference=f"T{i:03d}", numbers=1, created_at=same_moment)

    pages = [_refs(support_client.get(LIST, {"sort": sort, "page": n})) for n in (1, 2)]

    assert [len(page) for page in pages] == [PAGE_SIZE, 20]
    assert sorted(pages[0] + pages[1]) == [f"T{i:03d}" for i in range(PAGE_SIZE + 20)]


def test_a_deep_page_shows_the_same_rows_as_the_pages_before_it_lead_to(
    support_client, order_factory
):
    _many_orders(order_factory, 3 * PAGE_SIZE)

    third = _refs(support_client.get(LIST, {"page": 3, "status": "pending"}))

    assert third == [f"R{i:03d}" for i in range(2 * PAGE_SIZE, 3 * PAGE_SIZE)]


def test_out_of_range_page_shows_the_last_page(support_client, order_factory):
    _many_orders(order_factory, 3)

    assert _refs(support_client.get(LIST, {"page": "99"})) == ["R000", "R001", "R002"]
    assert _refs(support_client.get(LIST, {"page": "x"})) == ["R000", "R001", "R002"]


def test_empty_list_says_so(support_client, db):
    assert b"No order matches these filters." in support_client.get(LIST).content


def test_htmx_request_gets_only_the_table(support_client, two_orders):
    response = support_client.get(LIST, {"status": "pending"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html
    assert "<form" not in html
    assert re.search(r'<div id="order-table"[^>]*hx-trigger="ordersChanged from:body"', html)
    assert 'hx-get="/orders/?status=pending"' in html  # re-fetches the current view
    assert "NEW-DE" in html
    assert "OLD-CH" not in html
    # The form's error list and sort follow out of band.
    assert re.search(r'<div id="filter-errors"[^>]*hx-swap-oob="true"', html)
    assert re.search(r'<input type="hidden" name="sort"[^>]*hx-swap-oob="true"', html)
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_history_restore_gets_the_whole_page(support_client, db):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}

    html = support_client.get(LIST, headers=headers).content.decode()

    assert "<html" in html
    assert "hx-swap-oob" not in html


def test_filter_form_works_with_and_without_javascript(support_client, db):
    html = support_client.get(LIST).content.decode()

    form = re.search(r"<form method=\"get\" action=\"/orders/\"[^>]*>", html)[0]
    assert 'hx-get="/orders/"' in form
    assert 'hx-target="#order-table"' in form
    assert 'hx-push-url="true"' in form
    assert "change" in form
    assert "delay:300ms" in form
    assert '<button type="submit"' in html


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "params", ["", "?status=pending&country=CH", "?number_type=local", "?q=ACME", "?q=4121"]
)
def test_list_queries_do_not_grow_with_the_data(
    support_client, order_factory, params, django_assert_max_num_queries
):
    order_factory(numbers=1, customer_reference="ACME-1")
    few = _queries(support_client, LIST + params)
    for i in range(PAGE_SIZE + 10):
        order_factory(numbers=3, customer_reference=f"ACME-{i}")

    with django_assert_max_num_queries(few):
        support_client.get(LIST + params)


def test_the_unfiltered_count_follows_orders_added_and_removed(support_client, order_factory):
    _many_orders(order_factory, 3)
    assert "3 orders" in support_client.get(LIST).content.decode()

    Order.objects.filter(customer_reference="R001").delete()
    order_factory(customer_reference="LATE")
    order_factory(customer_reference="LATER")

    assert "4 orders" in support_client.get(LIST).content.decode()
    assert "4 orders" in support_client.get(LIST, {"sort": "-numbers", "page": 1}).content.decode()
