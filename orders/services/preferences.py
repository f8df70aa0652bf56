"""Each person's preferences: what they chose for how the site shows things."""

from django.contrib.auth.models import AbstractBaseUser

from orders.models import UserPreference


def time_zone_set(*, user: AbstractBaseUser, time_zone: str) -> UserPreference:
    """Stores the zone `user` sees times in ("" for the site's)."""
    preference, _ = UserPreference.objects.update_or_create(
        user=user, defaults={"time_zone": time_zone}
    )
    return preference
