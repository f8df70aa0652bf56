"""The pages' template tags: region ids, list rows and number tables built in Python, badges,
deadlines and values as people read them."""

import functools
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from html import escape

from django import template
from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from orders.html import badge, minute
from orders.html import deadline as deadline_markup
from orders.list_columns import COLUMNS, Column, order_row
from orders.models import Order
from orders.regions import ACTION_REGIONS, LIVE_REGIONS, Region, selector_list
from orders.selectors import freshness
from orders.selectors.order_list import DEFAULT_SORT, SORTS
from orders.selectors.order_page import NumberRow, RequirementRow
from orders.selectors.pickers import ValueLabel

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


register.filter("minute", minute)


@register.simple_tag
def deadline(value: datetime | None) -> SafeString:
    """A deadline as the pages show it: its time, in the viewer's zone, and the countdown."""
    return mark_safe(deadline_markup(value))


@register.filter
def change_token(changed_at: datetime | None) -> int:
    """What an open page polls with (see selectors.freshness.orders_changed_since)."""
    return freshness.change_token(changed_at)


@register.simple_tag
def list_columns() -> tuple[Column, ...]:
    """The order list's columns, for its header."""
    return COLUMNS


@register.simple_tag
def order_rows(orders: Iterable[Order]) -> SafeString:
    """The list's <tr>s, one per order."""
    return mark_safe("".join(map(order_row, orders)))  # every value in them went through escape()


_NUMBERS_HEAD = (
    '<table class="table numbers-table"><thead><tr><th scope="col">Number</th>'
    '<th scope="col">Requirement</th><th scope="col">Type</th><th scope="col">Value</th>'
    '<th scope="col">Status</th></tr></thead>'
)
_AWAITING = '<em class="awaiting">awaiting value</em>'
_NO_REQUIREMENTS = '<td colspan="4" class="muted">No requirements.</td>'
_ONLY_SHARED = '<td colspan="4" class="muted">Only the values the group shares, above.</td>'


def _value(text: str, labels: Mapping[str, ValueLabel] | None = None) -> str:
    """A requirement value; an address's or document's id as people read that record, with a
    link to a document's file."""
    if not text:
        return _AWAITING
    label = labels.get(text) if labels else None
    if label is None:
        return f'<span class="value">{escape(text)}</span>'
    shown = f'<span class="value" title="{escape(text)}">{escape(label.text)}</span>'
    if label.document_id:
        url = reverse("document_download", args=[label.document_id])
        shown += f' <a href="{escape(url)}" class="download">Download</a>'
    return shown


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


def _value_cells(
    row: RequirementRow, badge_of: Callable[[str], str], value_of: Callable[[str], str]
) -> str:
    status = badge_of(row.status) if row.status else ""
    return f"<td>{value_of(row.field_value)}</td><td>{status}</td>"


@register.simple_tag
def shared_values(
    rows: list[RequirementRow], labels: Mapping[str, ValueLabel] | None = None
) -> SafeString:
    """The requirement values every number of a group holds alike, listed once. `labels`: how
    address and document values read (selectors.pickers.value_labels)."""
    value_of = functools.partial(_value, labels=labels)
    body = "".join(
        f"<tr>{_requirement_cells(row)}{_value_cells(row, badge, value_of)}</tr>" for row in rows
    )
    return mark_safe(  # every value in them went through escape()
        '<table class="table shared-values"><thead><tr><th scope="col">Requirement</th>'
        '<th scope="col">Type</th><th scope="col">Value</th><th scope="col">Status</th></tr>'
        f"</thead><tbody>{body}</tbody></table>"
    )


@register.simple_tag
def number_table(
    numbers: list[NumberRow],
    shared: bool = False,
    labels: Mapping[str, ValueLabel] | None = None,
) -> SafeString:
    """A group of the order page's numbers: a <tbody> per number, whose cell spans the rows of
    its requirement values. What rows repeat (a requirement's cells, a badge, a value) is built
    once. `shared`: the group's shared values are listed above, and left out of the numbers'
    rows. `labels`: how address and document values read (selectors.pickers.value_labels)."""
    badge_of = functools.cache(badge)
    value_of = functools.cache(lambda text: _value(text, labels))
    cells: dict[tuple[uuid.UUID, str], str] = {}
    parts = [_NUMBERS_HEAD]
    for number in numbers:
        facts = [
            f'<span class="e164">{escape(number.phone_number)}</span>',
            badge_of(number.status),
        ]
        if number.requirements_status:
            facts.append(badge_of(number.requirements_status))
        if number.locality:
            facts.append(f'<span class="muted">{escape(number.locality)}</span>')
        rows = []
        for row in number.requirements:
            key = (row.requirement_id, row.field_type)
            cell = cells.get(key) or cells.setdefault(key, _requirement_cells(row))
            rows.append(cell + _value_cells(row, badge_of, value_of))
        rows = rows or [_ONLY_SHARED if shared else _NO_REQUIREMENTS]
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
