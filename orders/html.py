"""Pieces of HTML that the pages' big tables are built from in Python, each value escaped once."""

# The list's order rows (orders/list_columns.py) and the order page's number rows
# (templatetags/orders_ui.py) are built with the standard library's escape and plain strings, as
# Django's admin builds its changelist rows in Python: a big order has a thousand of them, a list
# page fifty of seven cells, and the template language (or a format_html per cell) would spend
# most of the page's time on them. Every value from the database goes through escape() exactly
# once.

import functools
import uuid
from datetime import datetime
from html import escape

from django.urls import get_script_prefix, reverse
from django.utils import timezone

from orders.deadlines import countdown


def badge(status: str) -> str:
    return f'<span class="badge" data-status="{escape(status)}">{escape(status)}</span>'


def minute(value: datetime | None) -> str:
    """'2026-05-01 14:03 CET' in the viewer's time zone (orders.time_zones), named: the pages'
    date format. Pages show hundreds; strftime costs a fraction of the |date filter."""
    if value is None:
        return ""
    return value.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M %Z")


def deadline(value: datetime | None, *, now: datetime | None = None) -> str:
    """A deadline as every page shows it: its minute(), and the countdown; "—" for none."""
    if value is None:
        return "—"
    now = now or timezone.now()
    overdue = " overdue" if value < now else ""
    return (
        f'<time datetime="{value.isoformat()}" class="deadline{overdue}">{minute(value)}</time> '
        f'<span class="countdown{overdue}">{countdown(value, now=now)}</span>'
    )


_ANY_ID = uuid.UUID(int=0)


@functools.cache
def _order_url_template(script_prefix: str) -> str:
    return reverse("order_detail", args=[_ANY_ID])


def order_url(order_id: uuid.UUID) -> str:
    """reverse("order_detail", ...) resolved once rather than for every row of a table."""
    return _order_url_template(get_script_prefix()).replace(str(_ANY_ID), str(order_id))
