"""The settings page: each person's preferences (the time zone of the times shown)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from orders.services.preferences import time_zone_set
from orders.time_zones import SESSION_KEY, TimeZoneForm, viewer_zone_name


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = TimeZoneForm(request.POST)
        if form.is_valid():
            zone = form.cleaned_data["time_zone"]
            time_zone_set(user=request.user, time_zone=zone)
            request.session[SESSION_KEY] = zone
            messages.success(request, "Times are now shown in " + (zone or "the site's zone") + ".")
            return redirect("preferences")
        return render(request, "orders/preferences.html", {"form": form}, status=422)
    form = TimeZoneForm(initial={"time_zone": viewer_zone_name(request)})
    return render(request, "orders/preferences.html", {"form": form})
