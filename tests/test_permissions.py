"""Who may see what: login everywhere, orders.view_order to browse, the admin for superusers,
and the strict content security policy every page is written for."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from orders.models import Order


@pytest.fixture
def order(order_factory) -> Order:
    return order_factory(numbers=2)


@pytest.fixture
def browse_urls(order) -> list[str]:
    return [
        reverse("home"),
        reverse("order_list"),
        reverse("order_list") + "?q=4121&status=pending",
        reverse("order_detail", args=[order.id]),
    ]


def test_anonymous_visitors_are_sent_to_login(client, browse_urls):
    for url in browse_urls:
        response = client.get(url)

        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next="), url


@pytest.mark.django_db
def test_health_check_needs_no_login(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_logged_in_user_without_role_is_refused(client, nobody_user, browse_urls):
    client.force_login(nobody_user)

    for url in browse_urls:
        response = client.get(url)

        assert response.status_code == 403, url
        assert b"Support staff" in response.content  # says which role to ask for


def test_support_staff_can_browse(support_client, browse_urls):
    for url in browse_urls:
        assert support_client.get(url).status_code == 200, url


def test_account_managers_can_browse(manager_client, browse_urls):
    for url in browse_urls:
        assert manager_client.get(url).status_code == 200, url


def test_admin_link_only_for_staff(support_client, client, db):
    assert b'href="/admin/"' not in support_client.get(reverse("home")).content

    client.force_login(User.objects.create_superuser("root", password="pw"))
    assert b'href="/admin/"' in client.get(reverse("home")).content


def test_support_staff_cannot_open_the_admin(support_client):
    response = support_client.get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_admin_shows_the_cache_read_only(admin_client, order):
    changelist = admin_client.get(reverse("admin:orders_order_changelist"))
    change = admin_client.get(reverse("admin:orders_order_change", args=[order.id]))

    assert changelist.status_code == 200
    assert order.customer_reference.encode() in changelist.content
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert admin_client.get(reverse("admin:orders_order_add")).status_code == 403
    assert (
        admin_client.post(reverse("admin:orders_order_delete", args=[order.id])).status_code == 403
    )


@pytest.mark.parametrize(
    "model", ["order", "suborder", "phonenumber", "requirementdefinition", "syncrun"]
)
def test_admin_lists_every_cached_model(admin_client, order, model):
    response = admin_client.get(reverse(f"admin:orders_{model}_changelist"))

    assert response.status_code == 200
    assert reverse(f"admin:orders_{model}_add").encode() not in response.content


def test_pages_carry_a_strict_csp_and_no_inline_script_or_style(support_client, browse_urls):
    for url in [*browse_urls, reverse("login")]:
        response = support_client.get(url)
        html = response.content.decode()

        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "<style" not in html, url
        assert " style=" not in html, url
        assert not re.search(r"<[^>]*\son[a-z]+=", html), url  # no onclick= and friends
        for script in re.findall(r"<script\b[^>]*>", html):
            assert 'src="/static/' in script, (url, script)
        # Every script is empty: its code comes from the src.
        assert not re.search(r"<script\b[^>]*>[^<]+</script>", html), url


def test_htmx_is_served_from_this_site(support_client):
    html = support_client.get(reverse("order_list")).content.decode()

    assert re.search(r'<script src="/static/django_htmx/htmx[^"]*\.js"', html)
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_body_sends_the_csrf_token_with_htmx_requests(support_client):
    html = support_client.get(reverse("home")).content.decode()

    assert re.search(r"<body hx-headers='\{\"x-csrftoken\": \"[A-Za-z0-9]+\"\}'>", html)
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in html
