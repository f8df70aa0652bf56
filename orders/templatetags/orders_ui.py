from datetime import datetime

from django import template
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from orders.selectors import DEFAULT_SORT, SORTS

register = template.Library()


def _opposite(key: str) -> str:
    return key[1:] if key.startswith("-") else f"-{key}"


@register.inclusion_tag("orders/includes/sort_header.html", takes_context=True)
def sort_header(context: template.Context, label: str, key: str) -> dict:
    """A column header linking to the list sorted by `key` (its first-click direction), or,
    when already sorted by that column, by the opposite direction if the list allows it."""
    request = context["request"]
    current = request.GET.get("sort") if request.GET.get("sort") in SORTS else DEFAULT_SORT
    active = current in (key, _opposite(key))
    target = _opposite(current) if active and _opposite(current) in SORTS else key
    query = request.GET.copy()
    query["sort"] = target
    query.pop("page", None)
    return {
        "label": label,
        "url": f"{request.path}?{query.urlencode()}",
        "direction": ("descending" if current.startswith("-") else "ascending") if active else "",
    }


@register.simple_tag
def user_role(user: AbstractBaseUser) -> str:
    """What the header shows next to the user's name."""
    if user.is_superuser:
        return "Administrator"
    return ", ".join(user.groups.order_by("name").values_list("name", flat=True)) or "No role"


@register.filter
def minute(value: datetime | None) -> str:
    """'2026-05-01 14:03' in the current time zone: the pages' date format. Lists show many,
    and strftime costs a fraction of the |date filter."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
