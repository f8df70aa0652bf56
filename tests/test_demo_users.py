"""`manage.py demo_users`: known users with a known password, so only ever in demo mode."""

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command


@pytest.mark.django_db
def test_refuses_outside_demo_mode_even_with_debug_on(settings):
    settings.DEMO_MODE = False
    settings.DEBUG = True

    with pytest.raises(CommandError, match=r"demo mode only \(set DEMO_MODE=1\)"):
        call_command("demo_users")

    assert not User.objects.exists()


@pytest.mark.django_db
def test_creates_the_demo_users_in_demo_mode(settings):
    settings.DEMO_MODE = True

    call_command("demo_users")

    users = {user.username: user for user in User.objects.all()}
    assert set(users) == {"support", "manager", "admin"}
    assert all(user.check_password("demo") for user in users.values())
    assert users["admin"].is_superuser and not users["support"].is_staff
    assert list(users["manager"].groups.values_list("name", flat=True)) == ["Account managers"]
