"""The queue: what still needs a value or a fix in orders that can still be fixed, grouped so one
fix clears many, filtered and sorted by deadline, exported as CSV, and counted alike on the home
page."""

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import (
    Comment,
    CommenterType,
    Order,
    PhoneNumber,
    RequirementValue,
    Status,
    SubOrder,
    UserPreference,
)
from orders.selectors.home import home_summary
from orders.selectors.queue import queue_page
from orders.selectors.queue_scope import needs_action, queue_group_orders
from orders.selectors.queue_totals import QueueTotals, queue_totals
from orders.services.actions import sub_order_cancel
from orders.services.telnyx_data import OrderBundle, order_rows
from tests.helpers import cached_sub_order, definition, page_html


def _set_deadline(order: Order, deadline) -> None:
    PhoneNumber.objects.filter(order=order).update(deadline=deadline)
    Order.objects.filter(pk=order.pk).update(deadline=deadline)


def _decline(order: Order, *, count: int | None = None) -> None:
    values = RequirementValue.objects.filter(phone_number__order=order).order_by("pk")
    ids = list(values.values_list("pk", flat=True)[:count])
    RequirementValue.objects.filter(pk__in=ids).update(field_value="ACME SA", status="declined")


def _groups(**filters) -> list:
    return queue_page(per_page=1000, **filters).groups


@pytest.fixture
def varied(order_factory):
    """Orders in every state the queue must tell apart."""
    vat, address = definition("VAT number"), definition("Address")
    now = timezone.now()
    acme_1 = order_factory(customer_reference="ACME", numbers=3, definitions=[vat, address])
    acme_2 = order_factory(customer_reference="ACME", numbers=2, definitions=[vat])
    _set_deadline(acme_2, now - timedelta(days=2))  # overdue
    other = order_factory(customer_reference="OTHER", numbers=2, country="DE", definitions=[vat])
    _decline(other, count=1)
    _set_deadline(other, now + timedelta(hours=5))
    order_factory(customer_reference="DONE", numbers=2, status="success", definitions=[vat])
    order_factory(customer_reference="FAILED", numbers=2, status="failure", definitions=[vat])
    gone = order_factory(customer_reference="GONE", numbers=2, definitions=[vat])
    Order.objects.filter(pk=gone.pk).update(gone_at=now)
    met = order_factory(customer_reference="MET", numbers=2, requirements_met=True)
    under_review = order_factory(customer_reference="REVIEW", numbers=1, definitions=[vat])
    RequirementValue.objects.filter(phone_number__order=under_review).update(
        field_value="CHE-1", status="pending-approval"
    )
    # A cancelled sub order inside a pending order: its numbers leave the queue.
    cancelled = order_factory(customer_reference="ACME", numbers=2, definitions=[vat])
    SubOrder.objects.filter(order=cancelled).update(status="failure")
    PhoneNumber.objects.filter(order=cancelled).update(
        status="failure", requirements_status="cancelled"
    )
    return {
        "vat": vat,
        "address": address,
        "acme_1": acme_1,
        "acme_2": acme_2,
        "other": other,
        "met": met,
    }


def test_queue_holds_only_values_awaited_or_declined_in_orders_that_can_be_fixed(varied):
    groups = _groups()

    assert sorted(
        (g.customer_reference, g.country, g.label, g.numbers, g.orders) for g in groups
    ) == [
        ("ACME", "CH", "Address", 3, 1),
        ("ACME", "CH", "VAT number", 5, 2),
        ("OTHER", "DE", "VAT number", 2, 1),
    ]
    assert queue_totals() == QueueTotals(values=10, numbers=7, orders=3, declined=1, overdue=2)


def test_groups_come_nearest_deadline_first_overdue_leading(varied):
    groups = _groups()

    assert [(g.customer_reference, g.label) for g in groups][:2] == [
        ("ACME", "VAT number"),  # holds the overdue order
        ("OTHER", "VAT number"),  # in 5 h
    ]
    assert groups[0].deadline < timezone.now()
    assert [g.customer_reference for g in _groups(sort="-deadline")][-1] == "ACME"


def test_home_counts_agree_with_the_queue_totals(varied, order_factory):
    order_factory(customer_reference="MORE", numbers=4, country="FR")
    summary = home_summary()
    totals = queue_totals()
    groups = _groups()

    assert summary.queue == totals
    assert sum(g.numbers for g in groups) == totals.values
    assert sum(g.declined for g in groups) == totals.declined


def test_home_page_shows_the_queue_counts_and_links_to_it(support_client, varied):
    html = page_html(support_client, reverse("home"))

    assert 'id="numbers-awaiting">7<' in html
    assert 'id="queue-orders">3<' in html
    assert 'id="queue-overdue">2<' in html
    assert f'href="{reverse("queue")}"' in html


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"customer_reference": "acm"}, {("ACME", "Address"), ("ACME", "VAT number")}),
        ({"country": "DE"}, {("OTHER", "VAT number")}),
        ({"deadline": "overdue"}, {("ACME", "VAT number")}),
        ({"deadline": "24h"}, {("OTHER", "VAT number")}),
        ({"declined_only": True}, {("OTHER", "VAT number")}),
    ],
)
def test_filters_narrow_groups_and_totals_alike(varied, filters, expected):
    groups = _groups(**filters)

    assert {(g.customer_reference, g.label) for g in groups} == expected
    assert queue_totals(**filters).values == sum(g.numbers for g in groups)


def test_requirement_filter_takes_a_definition_id(varied):
    groups = _groups(requirement=varied["address"].id)

    assert [(g.customer_reference, g.numbers) for g in groups] == [("ACME", 3)]


def test_group_orders_are_what_a_bulk_fix_of_the_group_covers(varied):
    orders = queue_group_orders(
        customer_reference="ACME",
        country="CH",
        number_type="local",
        requirement_id=varied["vat"].id,
    )

    assert sorted(orders) == sorted([varied["acme_1"].pk, varied["acme_2"].pk])


def test_group_shows_telnyx_latest_reason_where_declined(varied):
    sub_order = SubOrder.objects.get(order=varied["other"])
    now = timezone.now()
    for minutes, body, who in [
        (30, "Old reason", CommenterType.ADMIN),
        (20, "VAT number does not match the company", CommenterType.ADMIN),
        (10, "We asked for more time", CommenterType.USER),
    ]:
        Comment.objects.create(
            id=uuid.uuid4(),
            record_type="sub_number_order",
            record_id=sub_order.pk,
            body=body,
            commenter_type=who,
            created_at=now - timedelta(minutes=minutes),
            synced_at=now,
        )

    (group,) = _groups(declined_only=True)

    assert group.reason == "VAT number does not match the company"
    assert all(g.reason == "" for g in _groups() if not g.declined)


def test_queue_page_reads_as_many_queries_for_30_groups_as_for_one(support_client, order_factory):
    def queries() -> int:
        cache.clear()  # the aggregates computed, not read from the cache
        with CaptureQueriesContext(connection) as captured:
            html = page_html(support_client, reverse("queue"))
        return len(captured), html.count('class="queue-group"')

    order_factory(customer_reference="R", numbers=2)
    page_html(support_client, reverse("queue"))  # the session learns the time zone
    # Each view after a change brings the queue's rows up to it: one order, then 30.
    _decline(order_factory(customer_reference="D", numbers=1))
    few = queries()
    for index in range(30):
        _decline(order_factory(customer_reference=f"R{index}", numbers=2), count=1)

    assert few[1] == 2
    assert queries() == (few[0], 32)


def test_queue_page_filters_by_get_and_links_groups(manager_client, varied):
    html = page_html(manager_client, reverse("queue"), {"country": "de"})
    results = html[html.index('id="queue-results"') :]

    assert results.count('class="queue-group"') == 1
    assert "OTHER" in results and "ACME" not in results
    assert f'href="{reverse("order_detail", args=[varied["other"].pk])}"' in results
    assert "in 4 h" in results  # the countdown
    assert 'id="queue-values">2<' in results


def test_queue_page_htmx_request_answers_the_results_alone(support_client, varied):
    response = support_client.get(
        reverse("queue"), {"deadline": "overdue"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()

    assert html.lstrip().startswith('<div id="queue-results"')
    assert "overdue by 2 days" in html


def test_queue_page_reports_a_bad_filter_and_applies_the_others(support_client, varied):
    html = page_html(
        support_client, reverse("queue"), {"country": "Germany", "declined_only": "on"}
    )

    assert "Some filters were ignored" in html
    assert html.count('class="queue-group"') == 1


def test_bulk_fix_link_starts_a_fix_of_the_group_for_managers_only(
    client, manager_user, support_user, varied
):
    query = {"country": "DE"}
    client.force_login(manager_user)
    manager = page_html(client, reverse("queue"), query)
    client.force_login(support_user)
    support = page_html(client, reverse("queue"), query)

    vat = varied["vat"].id
    link = (
        f'<a href="/bulk-fixes/new/?customer_reference=OTHER&amp;country=DE&amp;number_type=local'
        f'&amp;requirement={vat}">Fix all</a>'
    )
    assert link in manager
    assert "Fix all" not in support


def test_export_streams_exactly_what_is_filtered(support_client, varied):
    response = support_client.get(reverse("queue_export"), {"customer_reference": "ACME"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="queue-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == queue_totals(customer_reference="ACME").values == 8
    assert {row["customer_reference"] for row in rows} == {"ACME"}
    assert rows[0]["order_id"] == str(varied["acme_2"].pk)  # the overdue first
    assert {row["requirement"] for row in rows} == {"VAT number", "Address"}
    assert {row["status"] for row in rows} == {"awaiting value"}


def test_cancelled_sub_order_stops_counting_as_awaiting(synced, manager_user):
    """The root of "Awaiting 3" after a cancel: the stored order counts only numbers that can
    still be fixed, and the queue drops the cancelled numbers at once."""
    sub_order = cached_sub_order(Status.PENDING)
    cancelled = set(sub_order.phone_numbers.values_list("pk", flat=True))

    sub_order_cancel(sub_order=sub_order, user=manager_user, reason="Customer withdrew")

    order = Order.objects.get(pk=sub_order.order_id)
    open_unmet = PhoneNumber.objects.filter(
        order=order, status=Status.PENDING, requirements_met=False
    ).exclude(requirements_status="cancelled")
    assert order.numbers_awaiting == open_unmet.count()
    assert not (cancelled & set(open_unmet.values_list("pk", flat=True)))
    assert not (cancelled & set(needs_action().values_list("phone_number_id", flat=True)))


def test_order_rows_count_no_number_of_a_cancelled_sub_order():
    order_id, pending_sub, cancelled_sub = (str(uuid.uuid4()) for _ in range(3))
    stamp = "2026-11-20T10:00:00Z"

    def number(sub_id: str, status: str, requirements_status: str, deadline: str) -> dict:
        return {
            "id": str(uuid.uuid4()),
            "phone_number": f"+4121{uuid.uuid4().int % 10**7:07d}",
            "sub_number_order_id": sub_id,
            "country_code": "CH",
            "phone_number_type": "local",
            "status": status,
            "requirements_met": False,
            "requirements_status": requirements_status,
            "deadline": deadline,
            "regulatory_requirements": [],
        }

    bundle = OrderBundle(
        order={
            "id": order_id,
            "status": "pending",
            "created_at": stamp,
            "updated_at": stamp,
            "phone_numbers": [
                number(pending_sub, "pending", "requirement-info-pending", "2026-11-22T10:00:00Z"),
                *(
                    number(cancelled_sub, "failure", "cancelled", "2026-11-21T10:00:00Z")
                    for _ in range(3)
                ),
            ],
        },
        sub_orders=[
            {"id": pending_sub, "status": "pending", "country_code": "CH"},
            {"id": cancelled_sub, "status": "failure", "country_code": "CH"},
        ],
        definitions=[],
    )

    rows = order_rows(bundle)

    assert rows.order["numbers_awaiting"] == 1
    assert rows.order["deadline"].isoformat() == "2026-11-22T10:00:00+00:00"


def test_queue_pages_count_every_group_and_fall_back_to_the_first(order_factory):
    for index in range(5):
        order_factory(customer_reference=f"R{index}", numbers=1)

    second = queue_page(number=2, per_page=2)
    past = queue_page(number=9, per_page=2)

    assert (second.count, second.num_pages, len(second.groups)) == (5, 3, 2)
    assert second.has_previous and second.has_next
    assert (past.number, [g.customer_reference for g in past.groups]) == (1, ["R0", "R1"])


def test_queue_page_links_the_next_page(support_client, order_factory):
    for index in range(51):
        order_factory(customer_reference=f"R{index:02}", numbers=1)

    html = page_html(support_client, reverse("queue"), {"country": "CH"})

    assert "51 groups, page 1 of 2" in html
    assert 'href="?country=CH&amp;page=2"' in html


def test_export_defuses_cells_a_spreadsheet_would_run(support_client, order_factory):
    order_factory(customer_reference='=HYPERLINK("http://evil.example","x")', numbers=1)

    response = support_client.get(reverse("queue_export"))

    (row,) = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    assert row["customer_reference"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["phone_number"].startswith("+41")  # a number stays a number


def test_export_writes_ids_dashed_and_times_to_the_minute_in_the_viewers_zone(
    support_client, support_user, order_factory
):
    UserPreference.objects.create(user=support_user, time_zone="Europe/Zurich")
    vat = definition("VAT number")
    before, after = (order_factory(numbers=1, definitions=[vat]) for _ in range(2))
    # Either side of the change to summer time, one to the microsecond.
    _set_deadline(before, datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC))
    _set_deadline(after, datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    no_deadline = order_factory(numbers=1, definitions=[vat])
    _set_deadline(no_deadline, None)

    response = support_client.get(reverse("queue_export"))

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["order_id"], row["deadline"]) for row in rows] == [
        (str(before.pk), "2026-03-29T01:59+01:00"),
        (str(after.pk), "2026-03-29T03:30+02:00"),
        (str(no_deadline.pk), ""),
    ]
    assert {(row["requirement_id"], row["requirement"]) for row in rows} == {
        (str(vat.pk), "VAT number")
    }


def test_queue_refreshes_itself_when_orders_change(support_client, varied):
    html = page_html(support_client, reverse("queue"), {"country": "DE"})

    assert html.index('id="changes-poller"') < html.index('id="queue-results"')
    results = html[html.index('<div id="queue-results"') :]
    assert 'hx-get="/queue/?country=DE"' in results.split(">", 1)[0]
    assert 'hx-trigger="ordersChanged from:body"' in results.split(">", 1)[0]


@pytest.mark.parametrize(
    "query",
    [
        {"sort": "nonsense"},
        {"requirement": "not-a-uuid"},
        {"deadline": "1y"},
        {"page": "99999999999999"},
        {"country": "\x00\x00"},
        {"customer_reference": "x" * 5000},
    ],
)
def test_bad_input_is_ignored_not_an_error(support_client, varied, query):
    page = support_client.get(reverse("queue"), query)
    export = support_client.get(reverse("queue_export"), query)

    assert page.status_code == 200
    assert page.content.decode().count('class="queue-group"') == 3
    assert export.status_code == 200
    assert len(b"".join(export.streaming_content).splitlines()) == 1 + 10


def test_queue_page_sorts_as_asked(support_client, varied):
    nearest = page_html(support_client, reverse("queue"))
    most = page_html(support_client, reverse("queue"), {"sort": "-numbers"})

    def references(html: str) -> list[str]:
        return re.findall(r'<td class="reference">([^<]+)</td>', html)

    assert references(nearest) == ["ACME", "OTHER", "ACME"]
    assert references(most)[0] == "ACME" and most.count('<td class="num">5</td>') == 1
    assert '<option value="-numbers" selected>' in most
