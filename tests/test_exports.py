"""The order list's and an order's numbers' CSV exports: exactly what the page's filters keep, a
row per requirement value, values as people read them, streamed in a constant number of
queries, for everyone who may view orders, with cells a spreadsheet would run defused."""

import csv
import io
import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import (
    Address,
    Document,
    Order,
    PhoneNumber,
    RequirementDefinition,
    RequirementValue,
    UserPreference,
)
from orders.selectors.order_exports import order_export_rows
from orders.selectors.queue import queue_export_rows
from tests.helpers import HTMX, definition, page_html

LIST_EXPORT = reverse("order_list_export")
HEADER = [
    "order_id",
    "customer_reference",
    "order_status",
    "phone_number",
    "country",
    "number_type",
    "number_status",
    "requirement",
    "value",
    "value_status",
    "deadline",
]


def _set(order: Order, kind: RequirementDefinition, value: str, status: str) -> None:
    RequirementValue.objects.filter(phone_number__order=order, requirement_id=kind.id).update(
        field_value=value, status=status
    )


def _csv(response) -> list[dict]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    assert reader.fieldnames == HEADER
    return rows


@pytest.fixture
def catalog(order_factory):
    """Orders of two countries and types, in every state the filters tell apart, whose values
    are text, an address, a document, or missing."""
    vat = definition("VAT number")
    address_kind = definition("Business address", "address")
    document_kind = definition("Company register extract", "document")
    now = timezone.now()
    address = Address.objects.create(
        id="1293384261075731499",
        business_name="ACME SA",
        street_address="Rue du Lac 1",
        postal_code="1003",
        locality="Lausanne",
        country_code="CH",
        synced_at=now,
    )
    document = Document.objects.create(id=uuid.uuid4(), filename="extract.pdf", synced_at=now)
    acme = order_factory(
        customer_reference="ACME",
        numbers=2,
        definitions=[vat, address_kind, document_kind],
        created_at=now - timedelta(days=3),
    )
    _set(acme, vat, "CHE-123.456.789", "approved")
    _set(acme, address_kind, address.pk, "pending-approval")
    _set(acme, document_kind, str(document.pk), "declined")
    berlin = order_factory(
        customer_reference="BERLIN",
        numbers=1,
        country="DE",
        number_type="mobile",
        status="success",
        requirements_met=True,
        definitions=[vat],
        created_at=now - timedelta(days=10),
    )
    bare = order_factory(customer_reference="BARE", numbers=1, definitions=[])
    return {"acme": acme, "berlin": berlin, "bare": bare, "address": address, "vat": vat}


@pytest.mark.parametrize(
    ("query", "references", "rows"),
    [
        ({}, ["BARE", "ACME", "BERLIN"], 1 + 6 + 1),
        ({"q": "acm"}, ["ACME"], 6),
        ({"country": "de"}, ["BERLIN"], 1),
        ({"number_type": "mobile", "status": "success"}, ["BERLIN"], 1),
        ({"status": "pending", "sort": "reference"}, ["ACME", "BARE"], 7),
        ({"requirements_met": "no", "sort": "created"}, ["ACME", "BARE"], 7),
        ({"created_to": "2000-01-01"}, [], 0),
        ({"deadline": "7d", "sort": "-deadline", "q": "BERLIN"}, ["BERLIN"], 1),
        ({"deadline": "overdue"}, [], 0),
    ],
)
def test_order_list_export_holds_exactly_the_orders_the_list_filters(
    support_client, catalog, query, references, rows
):
    exported = _csv(support_client.get(LIST_EXPORT, query))

    assert len(exported) == rows
    assert list(dict.fromkeys(row["customer_reference"] for row in exported)) == references
    listed = page_html(support_client, reverse("order_list"), query)
    assert re.search(r'id="order-count">\s*(\d+) order', listed)[1] == str(len(references))


def test_a_row_per_value_read_as_people_read_it(support_client, catalog, support_user):
    UserPreference.objects.create(user=support_user, time_zone="Asia/Kolkata")
    acme = catalog["acme"]
    first = acme.phone_numbers.order_by("phone_number").first()

    rows = _csv(support_client.get(LIST_EXPORT, {"q": "ACME"}))

    deadline = first.deadline.astimezone(timezone.get_fixed_timezone(330))
    number = {
        "order_id": str(acme.pk),
        "customer_reference": "ACME",
        "order_status": "pending",
        "phone_number": first.phone_number,
        "country": "CH",
        "number_type": "local",
        "number_status": "pending",
        "deadline": deadline.isoformat(timespec="minutes"),
    }
    values = [
        ("VAT number", "CHE-123.456.789", "approved"),
        ("Business address", "ACME SA, Rue du Lac 1, 1003 Lausanne, CH", "pending-approval"),
        ("Company register extract", "extract.pdf", "declined"),
    ]
    assert sorted(rows[:3], key=lambda row: row["requirement"]) == sorted(
        [
            {**number, "requirement": requirement, "value": value, "value_status": status}
            for requirement, value, status in values
        ],
        key=lambda row: row["requirement"],
    )
    assert rows[0]["deadline"].endswith("+05:30")


def test_a_number_without_requirements_has_one_row_and_a_missing_value_says_so(
    support_client, catalog, order_factory
):
    order_factory(customer_reference="WAITING", numbers=1)
    Address.objects.all().delete()  # a value naming an address no longer cached

    (bare,) = _csv(support_client.get(LIST_EXPORT, {"q": "BARE"}))
    (waiting,) = _csv(support_client.get(LIST_EXPORT, {"q": "WAITING"}))
    acme = _csv(support_client.get(LIST_EXPORT, {"q": "ACME"}))

    assert (bare["phone_number"], bare["requirement"], bare["value"], bare["value_status"]) == (
        catalog["bare"].phone_numbers.get().phone_number,
        "",
        "",
        "",
    )
    assert (waiting["value"], waiting["value_status"]) == ("", "awaiting value")
    assert catalog["address"].pk in {row["value"] for row in acme}


def test_export_is_a_streamed_download_named_for_the_day(support_client, catalog):
    response = support_client.get(LIST_EXPORT)

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    day = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="orders-{day}.csv"'


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rows", [order_export_rows, queue_export_rows])
def test_an_export_reads_its_rows_in_one_transaction_that_ends_with_it(catalog, rows):
    # Outside one, PostgreSQL's cursor would be held: its query run to the end and every row
    # written out before the first is read.
    read = rows()
    assert next(read)
    assert connection.in_atomic_block
    read.close()  # the client hung up
    assert not connection.in_atomic_block


# Replaced by the last digits of the first number, which the test does not know beforehand.
FIRST_DIGITS = "first's digits"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["awaiting", "declined", "approved", "in review"]),
        ({"digits": FIRST_DIGITS}, ["awaiting"]),
        ({"status": "success"}, ["approved"]),
        ({"requirement": "declined"}, ["declined"]),
        ({"requirement": "approved"}, ["approved"]),
        ({"requirement": "in-review"}, ["in review"]),
        ({"requirement": "awaiting", "status": "pending"}, ["awaiting"]),
        ({"requirement": "awaiting", "status": "success"}, []),
        (
            {"requirement": "nonsense", "digits": "\x00"},
            ["awaiting", "declined", "approved", "in review"],
        ),
    ],
)
def test_order_numbers_export_keeps_what_the_numbers_filter_shows(
    support_client, order_factory, query, expected
):
    order = order_factory(customer_reference='ZH/Office "A"', numbers=4)
    names = ["awaiting", "declined", "approved", "in review"]
    numbers = dict(zip(names, order.phone_numbers.order_by("phone_number"), strict=True))
    for name, value, status in [
        ("declined", "CHE-1", "declined"),
        ("approved", "CHE-2", "approved"),
        ("in review", "CHE-3", "pending-approval"),
    ]:
        RequirementValue.objects.filter(phone_number=numbers[name]).update(
            field_value=value, status=status
        )
    PhoneNumber.objects.filter(pk=numbers["approved"].pk).update(status="success")
    if query.get("digits") == FIRST_DIGITS:
        query = {"digits": numbers["awaiting"].phone_number[-4:]}

    response = support_client.get(reverse("order_numbers_export", args=[order.pk]), query)

    exported = [row["phone_number"] for row in _csv(response)]
    assert exported == [numbers[name].phone_number for name in expected]
    page = page_html(support_client, reverse("order_detail", args=[order.pk]), query)
    assert sorted(re.findall(r'<span class="e164">(\+\d+)</span>', page)) == exported
    assert response["Content-Disposition"] == (
        'attachment; filename="order-ZH-Office-A-numbers.csv"'
    )


def test_numbers_export_of_an_order_without_reference_is_named_by_its_id(
    support_client, order_factory
):
    order = order_factory(customer_reference="")

    response = support_client.get(reverse("order_numbers_export", args=[order.pk]))

    assert response["Content-Disposition"] == f'attachment; filename="order-{order.pk}-numbers.csv"'
    assert (
        support_client.get(reverse("order_numbers_export", args=[uuid.uuid4()])).status_code == 404
    )


def test_exports_are_for_those_who_may_view_orders(client, nobody_user, support_user, catalog):
    urls = [LIST_EXPORT, reverse("order_numbers_export", args=[catalog["acme"].pk])]

    client.force_login(nobody_user)
    assert [client.get(url).status_code for url in urls] == [403, 403]
    client.force_login(support_user)
    assert [client.get(url).status_code for url in urls] == [200, 200]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        _csv(client.get(url))
    return len(queries)


def test_queries_do_not_grow_with_the_rows(
    support_client, order_factory, django_assert_max_num_queries
):
    vat, address = definition("VAT number"), definition("Business address", "address")
    orders = [order_factory(numbers=2, definitions=[vat, address]) for _ in range(3)]
    numbers_url = reverse("order_numbers_export", args=[orders[0].pk])
    few, one = _queries(support_client, LIST_EXPORT), _queries(support_client, numbers_url)
    for _ in range(27):
        order_factory(numbers=2, definitions=[vat, address])
    big = order_factory(numbers=40, definitions=[vat, address])

    with django_assert_max_num_queries(few):
        assert len(_csv(support_client.get(LIST_EXPORT))) == 2 * 2 * 30 + 2 * 40
    with django_assert_max_num_queries(one):
        assert len(_csv(support_client.get(reverse("order_numbers_export", args=[big.pk])))) == 80


def test_cells_a_spreadsheet_would_run_are_defused(support_client, order_factory):
    vat = definition("=cmd|' /C calc'!A0")
    order = order_factory(customer_reference="@SUM(1+1)", numbers=1, definitions=[vat])
    _set(order, vat, '=HYPERLINK("http://evil.example","x")', "declined")

    (row,) = _csv(support_client.get(LIST_EXPORT, {"q": "\x00"}))

    assert row["customer_reference"] == "'@SUM(1+1)"
    assert row["requirement"] == "'=cmd|' /C calc'!A0"
    assert row["value"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["phone_number"].startswith("+41")  # a number stays a number


def test_the_list_links_its_export_with_the_filters_of_each_answer(support_client, catalog):
    page = page_html(support_client, reverse("order_list"), {"country": "CH", "page": "1"})
    swapped = support_client.get(reverse("order_list"), {"q": "ACME"}, headers=HTMX)

    assert f'href="{LIST_EXPORT}?country=CH" download>Export as CSV' in page
    assert f'href="{LIST_EXPORT}?q=ACME" download>Export as CSV' in swapped.content.decode()


def test_the_order_page_links_its_numbers_export_with_the_filter(support_client, catalog):
    order = catalog["acme"]
    url = reverse("order_detail", args=[order.pk])
    export = reverse("order_numbers_export", args=[order.pk])

    page = page_html(support_client, url)
    swapped = support_client.get(
        url, {"status": "pending"}, headers={**HTMX, "HX-Target": "number-groups"}
    )

    assert f'href="{export}" download>Export all numbers as CSV' in page
    assert (
        f'href="{export}?status=pending" download>Export these numbers' in swapped.content.decode()
    )
