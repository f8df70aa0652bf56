"""The order page: the order, its sub orders, its numbers with their requirements."""

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_htmx.middleware import HtmxDetails

from orders.models import Order, PhoneNumber, RequirementDefinition, RequirementValue, SubOrder
from orders.selectors.order_page import order_detail, requirement_summaries
from orders.views import order_page_context
from tests.helpers import HTMX, html_section, page_html


def _page(client, order: Order) -> str:
    return page_html(client, reverse("order_detail", args=[order.id]))


@pytest.fixture
def address(db) -> RequirementDefinition:
    return RequirementDefinition.objects.create(
        id=uuid.uuid4(),
        label="Address of the end user",
        description="Where the end user lives or works",
        example="Bahnhofstrasse 1, 8001 Zürich",
        field_type="address",
        synced_at=timezone.now(),
    )


@pytest.fixture
def registration(db) -> RequirementDefinition:
    return RequirementDefinition.objects.create(
        id=uuid.uuid4(),
        label="Registration number",
        description="The company's registration number",
        example="CHE-123.456.789",
        field_type="textual",
        synced_at=timezone.now(),
    )


def test_order_panel_shows_the_order(support_client, order_factory):
    order = order_factory(customer_reference="ACME-42", numbers=3, status="pending")

    panel = html_section(_page(support_client, order), "order-panel")

    assert "Order ACME-42" in panel
    assert str(order.id) in panel
    assert 'data-status="pending">pending</span>' in panel
    assert "<dt>Numbers</dt><dd>3</dd>" in panel
    assert "<dt>Awaiting requirements</dt><dd>3</dd>" in panel
    deadline = timezone.localtime(order.deadline).strftime("%Y-%m-%d %H:%M")
    assert deadline in panel
    assert "<dt>Synced</dt>" in panel
    assert 'id="order-actions"' in panel  # where issue 3's actions go
    assert "Gone upstream" not in panel


def test_order_gone_upstream_is_flagged(support_client, order_factory):
    order = order_factory()
    Order.objects.filter(pk=order.pk).update(gone_at=timezone.now() - timedelta(hours=1))

    panel = html_section(_page(support_client, order), "order-panel")

    assert 'role="alert">Gone upstream' in panel
    assert "last cached copy" in panel


def test_sub_orders_show_country_type_status_and_counts(support_client, order_factory):
    order = order_factory(country="CH", number_type="toll_free", numbers=2)

    section = html_section(_page(support_client, order), "sub-orders")

    sub = order.sub_orders.get()
    assert f'id="sub-order-{sub.id}"' in section
    assert "<td>CH</td>" in section
    assert "<td>toll_free</td>" in section
    assert 'data-status="pending">pending</span>' in section
    assert 'data-status="no">no</span>' in section
    assert '<td class="num">2</td>' in section


def test_cancelled_sub_order_reads_cancelled(support_client, order_factory):
    order = order_factory(numbers=2)
    SubOrder.objects.filter(order=order).update(status="failure")
    PhoneNumber.objects.filter(order=order).update(
        status="failure", requirements_status="cancelled"
    )

    section = html_section(_page(support_client, order), "sub-orders")

    assert 'data-status="cancelled">cancelled</span>' in section


def test_failed_sub_order_with_live_numbers_reads_failure(support_client, order_factory):
    order = order_factory(numbers=2)
    SubOrder.objects.filter(order=order).update(status="failure")
    first = PhoneNumber.objects.filter(order=order).order_by("id").first()
    PhoneNumber.objects.filter(pk=first.pk).update(requirements_status="cancelled")

    section = html_section(_page(support_client, order), "sub-orders")

    assert 'data-status="failure">failure</span>' in section
    assert "cancelled" not in section


def test_numbers_are_grouped_by_sub_order_with_their_requirements(
    support_client, order_factory, address, registration
):
    order = order_factory(numbers=2, definitions=[registration, address], country="CH")
    number = order.phone_numbers.order_by("phone_number").first()
    RequirementValue.objects.filter(phone_number=number, requirement_id=address.id).update(
        field_value="addr_123", status="approved"
    )

    numbers = html_section(_page(support_client, order), "numbers")

    assert "<h3>CH · local</h3>" in numbers
    rows = re.search(rf'<tbody id="number-{number.id}">.*?</tbody>', numbers, re.S)[0]
    assert number.phone_number in rows
    assert ">Address of the end user</a>" in rows
    assert "<td>address</td>" in rows
    assert '<span class="value">addr_123</span>' in rows
    assert 'data-status="approved">approved</span>' in rows
    # Both numbers await the registration number: said once for the group, not per number.
    assert ">Registration number</a>" not in rows
    shared = re.search(r'<table class="table shared-values">.*?</table>', numbers, re.S)[0]
    assert ">Registration number</a>" in shared
    assert '<em class="awaiting">awaiting value</em>' in shared
    # Each label says what it asks for, and the definitions are listed once.
    assert 'title="Where the end user lives or works"' in rows
    assert numbers.count("Example: <code>Bahnhofstrasse 1, 8001 Zürich</code>") == 1
    assert f'id="requirement-{address.id}"' in numbers


def test_value_without_a_known_definition_shows_its_id(support_client, order_factory):
    order = order_factory(numbers=1)
    value = RequirementValue.objects.get(phone_number__order=order)
    unknown = uuid.uuid4()
    RequirementValue.objects.filter(pk=value.pk).update(requirement_id=unknown)

    numbers = html_section(_page(support_client, order), "numbers")

    assert f'<code title="Definition not fetched yet">{unknown}</code>' in numbers


def test_number_without_requirements_says_so(support_client, order_factory):
    order = order_factory(numbers=1, definitions=[])

    assert "No requirements." in html_section(_page(support_client, order), "numbers")


def test_number_outside_any_sub_order_is_still_shown(support_client, order_factory):
    order = order_factory(numbers=2)
    loose = order.phone_numbers.order_by("id").first()
    PhoneNumber.objects.filter(pk=loose.pk).update(sub_order=None)

    numbers = html_section(_page(support_client, order), "numbers")

    assert "Not in a sub order" in numbers
    assert numbers.index("Not in a sub order") < numbers.index(loose.phone_number)


def test_requirement_values_are_escaped(support_client, order_factory):
    order = order_factory(numbers=1, field_value="<script>alert(1)</script>")

    html = _page(support_client, order)

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_fix_form_lists_each_requirement_s_values_and_numbers_escaped(
    manager_client, order_factory
):
    order = order_factory(numbers=2, field_value="<b>REG-1</b>")
    numbers = list(order.phone_numbers.order_by("phone_number"))
    RequirementValue.objects.filter(phone_number=numbers[1]).update(field_value="")

    form = html_section(_page(manager_client, order), "requirements")

    assert "<b>REG" not in form
    values = re.search(r"<dt>Current values</dt>\s*<dd>(.*?)</dd>", form)[1]
    escaped = '<span class="value">&lt;b&gt;REG-1&lt;/b&gt;</span>'
    assert values == f'{escaped}, <em class="awaiting">awaiting value</em>'
    items = "".join(f'<li class="e164">{number.phone_number}</li>' for number in numbers)
    assert f'<ul class="number-list">{items}</ul>' in form


def test_fix_form_summary_has_each_value_and_status_once_in_the_order_first_met(order_factory):
    order = order_factory(numbers=4)
    numbers = list(order.phone_numbers.order_by("phone_number"))
    for number, value, status in zip(
        numbers, ["B", "A", "B", ""], ["approved", "declined", "approved", ""], strict=True
    ):
        RequirementValue.objects.filter(phone_number=number).update(
            field_value=value, status=status
        )

    [summary] = requirement_summaries(detail=order_detail(order_id=order.id))

    assert summary.values == ["B", "A", ""]
    assert summary.statuses == ["approved", "declined", ""]
    assert summary.numbers == [number.phone_number for number in numbers]
    assert summary.current_value == ""


def test_unknown_order_is_404(support_client, db):
    response = support_client.get(reverse("order_detail", args=[uuid.uuid4()]))

    assert response.status_code == 404


def test_malformed_order_id_is_404(support_client, db):
    assert support_client.get("/orders/not-a-uuid/").status_code == 404


def test_order_page_queries_do_not_grow_with_numbers(
    support_client, order_factory, address, registration, django_assert_max_num_queries
):
    small = order_factory(numbers=1)
    big = order_factory(numbers=40, definitions=[registration, address])
    SubOrder.objects.create(
        id=uuid.uuid4(),
        order=big,
        country_code="DE",
        phone_number_type="mobile",
        status="pending",
        created_at=big.created_at,
        updated_at=big.updated_at,
        synced_at=big.synced_at,
    )

    with CaptureQueriesContext(connection) as small_page:
        _page(support_client, small)
    with django_assert_max_num_queries(len(small_page)):
        _page(support_client, big)


@pytest.mark.parametrize(
    ("headers", "unread"),
    [
        # The live refresh: no comments, and no requirements form with its address picker.
        (HTMX, ("orders_comment", "orders_address")),
        # The numbers filter: nothing but the numbers.
        (HTMX | {"HX-Target": "number-groups"}, ("orders_comment", "orders_address", "audit")),
    ],
)
def test_order_page_regions_read_only_what_they_show(
    manager_client, order_factory, address, headers, unread
):
    order = order_factory(definitions=[address])

    with CaptureQueriesContext(connection) as queries:
        response = manager_client.get(reverse("order_detail", args=[order.id]), headers=headers)

    assert response.status_code == 200
    read = " ".join(query["sql"] for query in queries.captured_queries)
    assert '"orders_phonenumber"' in read
    for table in unread:
        assert table not in read


def test_page_parts_render_on_their_own(order_factory, rf, support_user):
    order = order_factory(numbers=2)
    request = rf.get("/")
    request.user = support_user
    request.htmx = HtmxDetails(request)
    detail = order_detail(order_id=order.id)
    context = order_page_context(request, detail)

    for part in ["order-panel", "sub-orders", "numbers"]:
        html = render_to_string(f"orders/order_detail.html#{part}", context, request)
        assert f'<section id="{part}"' in html
        assert "<html" not in html
    # Each number is a <tbody> of its own, which a script may find by id.
    for number in detail.sub_orders[0].numbers:
        assert html.count(f'<tbody id="number-{number.id}">') == 1


def test_order_detail_reads_five_queries_whatever_the_size(
    order_factory, address, registration, django_assert_num_queries
):
    big = order_factory(numbers=40, definitions=[registration, address])

    with django_assert_num_queries(5):
        detail = order_detail(order_id=big.id)

    assert len(detail.sub_orders[0].numbers) == 40
    assert {d.label for d in detail.definitions} == {
        "Registration number",
        "Address of the end user",
    }
