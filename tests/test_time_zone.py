"""Times in the viewer's time zone, named: a per-user setting, the site's TIME_ZONE by default."""

from datetime import UTC, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order, UserPreference
from tests.helpers import page_html

DEADLINE = datetime(2027, 1, 15, 13, 5, tzinfo=UTC)


def _order_page(client, order_factory) -> str:
    order = order_factory()
    Order.objects.filter(pk=order.pk).update(deadline=DEADLINE)
    return page_html(client, reverse("order_detail", args=[order.pk]))


def test_times_default_to_the_site_time_zone_named(support_client, order_factory, settings):
    settings.TIME_ZONE = "America/New_York"

    html = _order_page(support_client, order_factory)

    assert "2027-01-15 08:05 EST" in html


def test_chosen_time_zone_shows_every_time_in_it(support_client, support_user, order_factory):
    response = support_client.post(reverse("preferences"), {"time_zone": "Europe/Zurich"})

    assert response.status_code == 302
    assert UserPreference.objects.get(user=support_user).time_zone == "Europe/Zurich"
    assert "2027-01-15 14:05 CET" in _order_page(support_client, order_factory)


def test_preference_is_read_once_a_session(client, support_user, order_factory):
    UserPreference.objects.create(user=support_user, time_zone="Asia/Tokyo")
    client.force_login(support_user)
    assert "2027-01-15 22:05 JST" in _order_page(client, order_factory)

    with CaptureQueriesContext(connection) as queries:
        page_html(client, reverse("preferences"))

    assert not [q for q in queries if "orders_userpreference" in q["sql"]]


def test_settings_page_is_in_the_navigation_and_shows_the_choice(support_client, support_user):
    UserPreference.objects.create(user=support_user, time_zone="Europe/Lisbon")

    html = page_html(support_client, reverse("home"))
    settings_page = page_html(support_client, reverse("preferences"))

    assert f'href="{reverse("preferences")}"' in html
    assert '<option value="Europe/Lisbon" selected>' in settings_page


def test_unknown_time_zone_is_refused_next_to_the_field(support_client, support_user):
    response = support_client.post(reverse("preferences"), {"time_zone": "Mars/Olympus"})

    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not UserPreference.objects.filter(user=support_user).exists()


def test_back_to_the_site_zone(support_client, support_user, order_factory):
    support_client.post(reverse("preferences"), {"time_zone": "Asia/Tokyo"})
    support_client.post(reverse("preferences"), {"time_zone": ""})

    assert UserPreference.objects.get(user=support_user).time_zone == ""
    assert "2027-01-15 13:05 UTC" in _order_page(support_client, order_factory)


def test_a_zone_gone_from_the_system_falls_back_to_the_site_zone(
    client, support_user, order_factory
):
    UserPreference.objects.create(user=support_user, time_zone="Atlantis/Capital")
    client.force_login(support_user)

    assert "2027-01-15 13:05 UTC" in _order_page(client, order_factory)
