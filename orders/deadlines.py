"""Deadlines as the pages speak of them: the windows lists filter by, and the countdown."""

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone


class DeadlineWindow(models.TextChoices):
    OVERDUE = "overdue", "Overdue"
    DAY = "24h", "Due in the next 24 hours"
    WEEK = "7d", "Due in the next 7 days"


_AHEAD = {DeadlineWindow.DAY: timedelta(hours=24), DeadlineWindow.WEEK: timedelta(days=7)}


def deadline_in(window: str, *, field: str = "deadline", now: datetime | None = None) -> Q:
    """The rows whose `field` falls in `window`: a range on the field, which its index answers.
    Due "in the next 24 hours" leaves the overdue out: they have a window of their own."""
    now = now or timezone.now()
    if window == DeadlineWindow.OVERDUE:
        return Q(**{f"{field}__lt": now})
    return Q(**{f"{field}__gte": now, f"{field}__lt": now + _AHEAD[DeadlineWindow(window)]})


def _amount(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    days = hours // 24
    return f"{days} days"


def countdown(deadline: datetime | None, *, now: datetime | None = None) -> str:
    """ "in 5 h", "overdue by 2 days": how far `deadline` is from now, rounded down; "" for none."""
    if deadline is None:
        return ""
    now = now or timezone.now()
    if deadline >= now:
        return f"in {_amount(deadline - now)}"
    return f"overdue by {_amount(now - deadline)}"
