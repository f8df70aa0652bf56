"""What each person chose for how the site shows things."""

from django.db import models


class UserPreference(models.Model):
    """What one person chose for how the site shows things: for now the time zone of its times."""

    user = models.OneToOneField("auth.User", on_delete=models.CASCADE, related_name="preference")
    # An IANA name ("Europe/Zurich"); blank: the site's TIME_ZONE.
    time_zone = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.time_zone or 'site time zone'})"
