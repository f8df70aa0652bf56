"""The login page: the only page (with /healthz) anyone may see, and the demo note."""

import pytest
from django.urls import reverse

LOGIN = "/accounts/login/"
DEMO_NOTE = "password <strong>demo</strong>"


@pytest.mark.django_db
def test_login_page_is_public(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


@pytest.mark.django_db
def test_login_page_names_demo_users_in_demo_mode(client, settings):
    settings.DEMO_MODE = True

    html = client.get(LOGIN).content.decode()

    assert DEMO_NOTE in html
    for user in ("support", "manager", "admin"):
        assert f"<strong>{user}</strong>" in html


@pytest.mark.django_db
def test_login_page_hides_demo_password_outside_demo_mode(client, settings):
    settings.DEMO_MODE = False

    html = client.get(LOGIN).content.decode()

    assert "demo" not in html.lower()


def test_login_with_good_password_lands_on_home(client, support_user):
    response = client.post(LOGIN, {"username": "support", "password": "pw"})

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_login_with_bad_password_says_so(client, support_user):
    response = client.post(LOGIN, {"username": "support", "password": "wrong"})

    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_login_returns_to_the_page_asked_for(client, support_user):
    asked = client.get("/orders/?status=pending")

    response = client.post(
        asked.url, {"username": "support", "password": "pw", "next": "/orders/?status=pending"}
    )

    assert response.url == "/orders/?status=pending"


def test_header_logs_out_with_a_post_form(support_client):
    html = support_client.get(reverse("home")).content.decode()

    assert f'<form method="post" action="{reverse("logout")}"' in html

    response = support_client.post(reverse("logout"))

    assert response.status_code == 302
    assert support_client.get(reverse("home")).status_code == 302


def test_header_shows_user_name_and_role(support_client, manager_user, client):
    assert b"Support staff" in support_client.get(reverse("home")).content
    client.force_login(manager_user)
    html = client.get(reverse("home")).content.decode()
    assert "manager" in html
    assert "Account managers" in html


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/set-password/",
        "/accounts/reset/done/",
    ],
)
def test_password_reset_is_not_served_without_e_mail(client, support_user, path):
    assert client.get(path).status_code == 404
    assert client.post(path, {"email": "support@example.com"}).status_code == 404
    client.force_login(support_user)
    assert client.get(path).status_code == 404


def test_signed_in_user_changes_their_password(support_client, support_user):
    assert support_client.get("/accounts/password_change/").status_code == 200

    response = support_client.post(
        "/accounts/password_change/",
        {
            "old_password": "pw",
            "new_password1": "a-long-new-passphrase",
            "new_password2": "a-long-new-passphrase",
        },
    )

    assert response.url == "/accounts/password_change/done/"
    support_user.refresh_from_db()
    assert support_user.check_password("a-long-new-passphrase")
