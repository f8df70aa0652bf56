"""The viewer's time zone: the zones one may pick, the form that picks one, and the middleware that
shows every page in it (by default the site's TIME_ZONE)."""

import functools
import zoneinfo

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from orders.models import UserPreference

# The session keeps the zone after the first page, so pages do not read it from the database.
SESSION_KEY = "time_zone"


@functools.cache
def zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        help_text="Every time on the site is shown in this zone, its name beside it.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [
            ("", f"The site's time zone ({settings.TIME_ZONE})"),
            *((name, name.replace("_", " ")) for name in zone_names()),
        ]


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # A zone the system's database no longer has: the site's, until another is picked.
        return None


def viewer_zone_name(request: HttpRequest) -> str:
    """The zone the viewer picked ("" for the site's)."""
    name = request.session.get(SESSION_KEY)
    if name is None and request.user.is_authenticated:
        preference = UserPreference.objects.filter(user=request.user).first()
        name = preference.time_zone if preference else ""
        request.session[SESSION_KEY] = name
    return name or ""


class TimeZoneMiddleware:
    """Activates the viewer's time zone for the request (after AuthenticationMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = _zone(viewer_zone_name(request))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
