import functools
import uuid
from collections.abc import Iterable
from datetime import datetime
from html import escape

from django import template
from django.contrib.auth.models import AbstractBaseUser
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from orders.models import Order
from orders.regions import ACTION_REGIONS, LIVE_REGIONS, Region, selector_list
from orders.selectors import freshness
from orders.selectors.order_list import DEFAULT_SORT, SORTS
from orders.selectors.order_page import NumberRow, RequirementRow

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


# The regions HTMX swaps (orders/regions.py), by member name: `{% region_id "ORDER_PANEL" %}`.
# An unknown name fails the render rather than leaving an id out.


@register.simple_tag
def region_id(name: str) -> str:
    return Region[name].id


@register.simple_tag
def region_selector(name: str) -> str:
    return Region[name].selector


@register.simple_tag
def action_oob(target: str) -> str:
    """What an action's form takes out of band from the answer: the regions an action can
    change, besides `target`, which the answer's first part replaces."""
    return selector_list(region for region in ACTION_REGIONS if region is not Region[target])


@register.simple_tag
def live_regions() -> str:
    """What an open order page takes from itself fetched again after a change elsewhere."""
    return selector_list(LIVE_REGIONS)


@register.simple_tag
def user_role(user: AbstractBaseUser) -> str:
    """What the header shows next to the user's name."""
    if user.is_superuser:
        return "Administrator"
    return ", ".join(user.groups.order_by("name").values_list("name", flat=True)) or "No role"


@register.filter
def minute(value: datetime | None) -> str:
    """'2026-05-01 14:03' in the site's time zone (nothing activates another): the pages' date
    format. Pages show hundreds; strftime costs a fraction of the |date filter."""
    if value is None:
        return ""
    return value.astimezone(timezone.get_default_timezone()).strftime("%Y-%m-%d %H:%M")


@register.filter
def change_token(changed_at: datetime | None) -> int:
    """What an open page polls with (see selectors.freshness.orders_changed_since)."""
    return freshness.change_token(changed_at)


_ANY_ID = uuid.UUID(int=0)


@functools.cache
def _order_url_template(script_prefix: str) -> str:
    return reverse("order_detail", args=[_ANY_ID])


@register.filter
def order_url(order_id: uuid.UUID) -> str:
    """reverse("order_detail", ...) resolved once rather than for every row of a table."""
    return _order_url_template(get_script_prefix()).replace(str(_ANY_ID), str(order_id))


# The list's order rows and the order page's number rows are built here with the standard
# library's escape and plain strings, as Django's admin builds its changelist rows in Python: a
# big order has a thousand of them, a list page fifty of seven cells, and the template language
# (or a format_html per cell) would spend most of the page's time on them. Every value from the
# database goes through escape() exactly once.


def _badge(status: str) -> str:
    return f'<span class="badge" data-status="{escape(status)}">{escape(status)}</span>'


_YES_NO = {True: _badge("yes"), False: _badge("no")}
_GONE = ' <span class="badge" data-status="gone">gone upstream</span>'


def _order_row(order: Order) -> str:
    url = order_url(order.id)
    reference = escape(order.customer_reference) or "(no reference)"
    gone = _GONE if order.gone_at else ""
    return (
        f'<tr><td><a href="{url}">{minute(order.created_at)}</a></td>'
        f'<td class="reference"><a href="{url}">{reference}</a>{gone}</td>'
        f"<td>{_badge(order.status)}</td>"
        f'<td class="num">{order.phone_numbers_count}</td>'
        f"<td>{_YES_NO[order.requirements_met]}</td>"
        f"<td>{escape(order.countries)}</td>"
        f"<td>{minute(order.synced_at)}</td></tr>"
    )


@register.simple_tag
def order_rows(orders: Iterable[Order]) -> SafeString:
    """The list's <tr>s, one per order (selectors.order_list.LIST_FIELDS are all they read)."""
    return mark_safe("".join(map(_order_row, orders)))  # every value in them went through escape()


_NUMBERS_HEAD = (
    '<table class="table numbers-table"><thead><tr><th scope="col">Number</th>'
    '<th scope="col">Requirement</th><th scope="col">Type</th><th scope="col">Value</th>'
    '<th scope="col">Status</th></tr></thead>'
)
_AWAITING = '<em class="awaiting">awaiting value</em>'
_NO_REQUIREMENTS = '<td colspan="4" class="muted">No requirements.</td>'


def _value(text: str) -> str:
    return f'<span class="value">{escape(text)}</span>' if text else _AWAITING


def _requirement_cells(row: RequirementRow) -> str:
    """A requirement's name and type cells, the same in each row of a number that has it."""
    if row.definition:
        # The description on hover; the page's list of definitions has it with the example.
        help_text = escape(row.definition.description)
        label = (
            f'<a href="#requirement-{row.requirement_id}" title="{help_text}">'
            f"{escape(row.definition.label)}</a>"
        )
    else:
        label = f'<code title="Definition not fetched yet">{row.requirement_id}</code>'
    return f"<td>{label}</td><td>{escape(row.field_type)}</td>"


@register.simple_tag
def number_table(numbers: list[NumberRow]) -> SafeString:
    """A group of the order page's numbers: a <tbody> per number, whose cell spans the rows of
    its requirement values. What rows repeat (a requirement's cells, a badge) is built once."""
    badge = functools.cache(_badge)
    cells: dict[tuple[uuid.UUID, str], str] = {}
    parts = [_NUMBERS_HEAD]
    for number in numbers:
        facts = [f'<span class="e164">{escape(number.phone_number)}</span>', badge(number.status)]
        if number.requirements_status:
            facts.append(badge(number.requirements_status))
        if number.locality:
            facts.append(f'<span class="muted">{escape(number.locality)}</span>')
        rows = []
        for row in number.requirements:
            key = (row.requirement_id, row.field_type)
            cell = cells.get(key) or cells.setdefault(key, _requirement_cells(row))
            status = badge(row.status) if row.status else ""
            rows.append(f"{cell}<td>{_value(row.field_value)}</td><td>{status}</td>")
        rows = rows or [_NO_REQUIREMENTS]
        span = f' rowspan="{len(rows)}"' if len(rows) > 1 else ""
        parts.append(
            f'<tbody id="number-{number.id}"><tr><th scope="rowgroup"{span}>{" ".join(facts)}</th>'
            f"{'</tr><tr>'.join(rows)}</tr></tbody>"
        )
    parts.append("</table>")
    return mark_safe("".join(parts))  # every value in them went through escape()


# A requirement of a big order may hold a distinct value for each of hundreds of numbers: the
# form lists them, and the numbers, as the numbers table does, in Python.


@register.filter
def current_values(values: list[str]) -> SafeString:
    """A requirement's distinct values, "" standing for a number awaiting one."""
    return mark_safe(", ".join(map(_value, values)))  # escaped by _value


@register.filter
def number_list(numbers: list[str]) -> SafeString:
    """Phone numbers (E.164) as a list."""
    items = "".join(f'<li class="e164">{escape(number)}</li>' for number in numbers)
    return mark_safe(f'<ul class="number-list">{items}</ul>')  # every number went through escape()
