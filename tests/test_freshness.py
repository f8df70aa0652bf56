"""How fresh the cache is: "synced N minutes ago" in every page's header, and a warning once the
last successful sync is older than SYNC_STALE_AFTER."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import SyncRun
from orders.selectors.freshness import sync_freshness

pytestmark = pytest.mark.django_db


def finished_run(minutes_ago: float, *, failed: int = 0, error: str = "") -> SyncRun:
    finished = timezone.now() - timedelta(minutes=minutes_ago)
    return SyncRun.objects.create(
        started_at=finished - timedelta(seconds=30),
        finished_at=finished,
        seen=10,
        failed=failed,
        error=error,
    )


def text(fragment: str) -> str:
    """What a reader sees of an HTML fragment, whitespace (non-breaking too) as single spaces."""
    return " ".join(re.sub(r"<[^>]+>", "", fragment).split())


def header(html: str) -> str:
    found = re.search(r'<p id="sync-freshness".*?</p>', html, re.S)
    assert found, "no freshness in the header"
    return text(found.group())


def banner(html: str) -> str:
    found = re.search(r'<div id="stale-banner".*?</div>', html, re.S)
    assert found, "no place for the stale warning"
    return text(found.group())


def test_header_says_when_the_last_successful_sync_finished(support_client):
    finished_run(minutes_ago=4.2)

    html = support_client.get("/orders/").content.decode()

    assert header(html) == "Synced 4 minutes ago"
    assert banner(html) == ""


def test_header_says_never_synced_and_warns_before_the_first_sync(support_client):
    html = support_client.get("/").content.decode()

    assert header(html) == "Never synced"
    assert "never been synced successfully" in banner(html)


def test_warning_appears_once_the_last_success_is_older_than_the_limit(support_client, settings):
    settings.SYNC_STALE_AFTER = 30
    finished_run(minutes_ago=45)

    html = support_client.get("/orders/").content.decode()

    assert header(html) == "Synced 45 minutes ago"
    warning = banner(html)
    assert "last synced successfully 45 minutes ago" in warning
    assert "more than 30 minutes ago" in warning


def test_no_warning_within_the_limit(support_client, settings):
    settings.SYNC_STALE_AFTER = 60
    finished_run(minutes_ago=45)

    assert banner(support_client.get("/orders/").content.decode()) == ""


def test_failed_runs_do_not_count_as_fresh(support_client, settings):
    settings.SYNC_STALE_AFTER = 60
    finished_run(minutes_ago=120)
    finished_run(minutes_ago=2, failed=3, error="order x: timeout")

    html = support_client.get("/orders/").content.decode()

    assert header(html) == "Synced 2 hours ago"
    assert "The latest sync, 2 minutes ago, did not complete cleanly." in banner(html)


def test_a_run_still_under_way_is_not_a_sync(support_client):
    finished_run(minutes_ago=10)
    SyncRun.objects.create(started_at=timezone.now())

    assert header(support_client.get("/").content.decode()) == "Synced 10 minutes ago"


def test_freshness_reads_one_row_while_the_latest_sync_went_well(django_assert_num_queries):
    finished_run(minutes_ago=30)
    latest = finished_run(minutes_ago=5)

    with django_assert_num_queries(1):
        freshness = sync_freshness()

    assert freshness.last_success == freshness.latest == latest
    assert not freshness.stale


def test_sync_status_is_the_header_fragment_for_open_pages(support_client, settings):
    settings.SYNC_STALE_AFTER = 30
    finished_run(minutes_ago=40)

    response = support_client.get("/sync-status/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<main" not in html
    assert header(html) == "Synced 40 minutes ago"
    assert "more than 30 minutes ago" in banner(html)
    assert "no-store" in response["Cache-Control"]


def test_sync_status_is_for_people_who_may_browse_orders(client, nobody_user):
    assert client.get("/sync-status/").status_code == 302
    client.force_login(nobody_user)
    assert client.get("/sync-status/").status_code == 403


def test_login_page_says_nothing_about_the_cache(client):
    finished_run(minutes_ago=500)

    html = client.get("/accounts/login/").content.decode()

    assert 'id="sync-freshness"' not in html
    assert banner(html) == ""


def test_home_tells_the_latest_sync_and_the_last_success_as_the_header_does(support_client):
    finished_run(minutes_ago=90)
    finished_run(minutes_ago=3, failed=1, error="order x: timeout")

    html = support_client.get("/").content.decode()

    card = text(
        re.search(
            r'<section class="card" aria-labelledby="last-sync">.*?</section>', html, re.S
        ).group()
    )
    assert "Last synced 3 minutes ago with errors" in card
    assert "Last successful sync: 1 hour, 30 minutes ago." in card
    assert header(html) == "Synced 1 hour, 30 minutes ago"
