"""Deadlines everywhere: the countdown ("in 5 h", "overdue by 2 days") on a fixed clock, and the
order list's deadline column, sort and filter."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.deadlines import countdown
from orders.models import Order
from tests.helpers import page_html

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("deadline", "said"),
    [
        (NOW + timedelta(hours=5, minutes=59), "in 5 h"),
        (NOW + timedelta(minutes=42), "in 42 min"),
        (NOW + timedelta(seconds=20), "in less than a minute"),
        (NOW + timedelta(hours=47), "in 47 h"),
        (NOW + timedelta(days=3, hours=2), "in 3 days"),
        (NOW - timedelta(days=2, hours=3), "overdue by 2 days"),
        (NOW - timedelta(hours=1), "overdue by 1 h"),
        (None, ""),
    ],
)
def test_countdown_says_how_far_the_deadline_is(deadline, said):
    assert countdown(deadline, now=NOW) == said


@pytest.fixture
def dated(order_factory):
    """Orders due in 2 days (the factory's), in 3 hours, 3 days ago, and with no deadline."""
    now = timezone.now()
    orders = {name: order_factory(customer_reference=name) for name in ("LATER", "SOON", "LATE")}
    orders["NONE"] = order_factory(customer_reference="NONE", requirements_met=True)
    Order.objects.filter(pk=orders["SOON"].pk).update(deadline=now + timedelta(hours=3))
    Order.objects.filter(pk=orders["LATE"].pk).update(deadline=now - timedelta(days=3))
    Order.objects.filter(pk=orders["NONE"].pk).update(deadline=None)
    return orders


def _references(client, **params) -> list[str]:
    html = page_html(client, reverse("order_list"), params)
    return re.findall(r'<td class="reference"><a href="[^"]+">([^<]+)</a>', html)


def test_order_list_sorts_by_deadline_nearest_first_none_last(support_client, dated):
    assert _references(support_client, sort="deadline") == ["LATE", "SOON", "LATER", "NONE"]
    assert _references(support_client, sort="-deadline") == ["LATER", "SOON", "LATE", "NONE"]


@pytest.mark.parametrize(
    ("window", "expected"),
    [("overdue", ["LATE"]), ("24h", ["SOON"]), ("7d", ["SOON", "LATER"])],
)
def test_order_list_filters_by_deadline_window(support_client, dated, window, expected):
    assert _references(support_client, deadline=window, sort="deadline") == expected


def test_order_list_shows_the_deadline_and_its_countdown(support_client, dated):
    html = page_html(support_client, reverse("order_list"), {"sort": "deadline"})

    assert '<span class="countdown overdue">overdue by 3 days</span>' in html
    assert '<span class="countdown">in 2 h</span>' in html
    # The same markup as the other pages': the overdue time is marked (and styled) as such.
    assert re.search(r'<time datetime="[^"]+" class="deadline overdue">', html)
    assert re.search(r'<a href="[^"]*sort=deadline"[^>]*>Deadline</a>|>Deadline<', html)


def test_order_page_and_home_show_the_countdown(support_client, dated):
    order_page = page_html(support_client, reverse("order_detail", args=[dated["SOON"].pk]))
    home = page_html(support_client, reverse("home"))

    assert '<span class="countdown">in 2 h</span>' in order_page
    assert '<span class="countdown">in 2 h</span>' in home
