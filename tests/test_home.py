"""The home page: orders by status, numbers awaiting requirements, deadlines near, last sync."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, SyncRun
from orders.selectors.home import home_summary
from orders.services.queue_rows import queue_rows_catch_up
from tests.helpers import page_html


def _home(client) -> str:
    return page_html(client, reverse("home"))


def _count(html: str, status: str) -> int:
    return int(re.search(rf'<span class="count" data-status="{status}">(\d+)</span>', html)[1])


def test_home_counts_orders_by_status(support_client, order_factory):
    for status in ["pending", "pending", "success", "failure", "success", "success"]:
        order_factory(status=status, numbers=1)

    html = _home(support_client)

    assert (_count(html, "pending"), _count(html, "success"), _count(html, "failure")) == (2, 3, 1)
    assert '<meter class="bar" data-status="success" min="0" max="6" value="3">' in html


def test_home_counts_zero_for_an_empty_cache(support_client):
    html = _home(support_client)

    assert _count(html, "pending") == 0
    assert re.search(r'id="numbers-awaiting">0<', html)
    assert "Last synced <strong>never</strong>" in html


def test_home_sums_numbers_awaiting_requirements(support_client, order_factory):
    order_factory(numbers=3)  # 3 awaiting
    order_factory(numbers=4)  # 4 awaiting
    order_factory(numbers=5, requirements_met=True)  # none awaiting

    html = _home(support_client)

    assert re.search(r'id="numbers-awaiting">7<', html)


def test_home_lists_pending_orders_due_within_48_hours(support_client, order_factory):
    now = timezone.now()
    soon = order_factory(customer_reference="DUE-SOON")
    later = order_factory(customer_reference="DUE-LATER")
    done = order_factory(customer_reference="DONE-SOON", status="success")
    past = order_factory(customer_reference="PAST-DUE")
    sooner = order_factory(customer_reference="DUE-SOONER")
    Order.objects.filter(pk=soon.pk).update(deadline=now + timedelta(hours=47))
    Order.objects.filter(pk=later.pk).update(deadline=now + timedelta(hours=49))
    Order.objects.filter(pk=done.pk).update(deadline=now + timedelta(hours=1))
    Order.objects.filter(pk=past.pk).update(deadline=now - timedelta(hours=1))
    Order.objects.filter(pk=sooner.pk).update(deadline=now + timedelta(hours=2))

    html = _home(support_client)

    assert f'href="{reverse("order_detail", args=[soon.id])}"' in html
    assert "DUE-LATER" not in html
    assert "DONE-SOON" not in html
    assert "PAST-DUE" not in html
    assert html.index("DUE-SOONER") < html.index("DUE-SOON<")  # nearest deadline first


def test_home_shows_the_latest_finished_sync(support_client, db):
    now = timezone.now()
    SyncRun.objects.create(started_at=now - timedelta(days=2), finished_at=now - timedelta(days=2))
    SyncRun.objects.create(
        started_at=now - timedelta(hours=3), finished_at=now - timedelta(hours=3)
    )
    SyncRun.objects.create(started_at=now - timedelta(minutes=1))  # still running

    html = _home(support_client)

    assert "Last synced <time" in html
    assert "3\xa0hours ago" in html


def test_home_flags_a_sync_that_failed(support_client, db):
    now = timezone.now()
    SyncRun.objects.create(started_at=now, finished_at=now, failed=2)

    assert "with errors" in _home(support_client)


def test_home_summary_runs_as_many_queries_for_50_orders_as_for_5(order_factory):
    def queries() -> int:
        queue_rows_catch_up()  # the queue's rows brought up to the orders: a view's first job
        with CaptureQueriesContext(connection) as captured:
            summary = home_summary()
        return len(captured), summary

    for _ in range(5):
        order_factory(numbers=1)
    few, summary = queries()
    for _ in range(45):
        order_factory(numbers=2)
    many, more = queries()

    assert (summary.total, len(summary.deadline_soon), more.total) == (5, 5, 50)
    # The change token, orders by status, the queue's tally and overdue hours and numbers, its
    # next deadline, the orders due soon, the orders with unread comments.
    assert few == many == 8


@pytest.mark.django_db
def test_home_nav_marks_the_current_page(support_client):
    html = _home(support_client)

    assert '<a href="/" aria-current="page">Home</a>' in html
    assert '<a href="/orders/">Orders</a>' in html
