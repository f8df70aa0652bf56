"""The order list's columns: each one's header, sort key, the fields it reads and its cell."""

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from orders.html import badge, deadline, minute, order_url
from orders.models import Order


@dataclass(frozen=True)
class Column:
    label: str
    # What its cell reads: the list loads these fields and no more (LIST_FIELDS).
    fields: tuple[str, ...]
    # Its <td> for an order, given the URL of the order's page, built in Python (orders/html.py).
    cell: Callable[[Order, str], str]
    # The sort key its header links to (the direction of a first click); "" when not sortable.
    sort: str = ""


_YES_NO = {True: badge("yes"), False: badge("no")}
_GONE = ' <span class="badge" data-status="gone">gone upstream</span>'


def _created(order: Order, url: str) -> str:
    return f'<td><a href="{url}">{minute(order.created_at)}</a></td>'


def _reference(order: Order, url: str) -> str:
    reference = escape(order.customer_reference) or "(no reference)"
    gone = _GONE if order.gone_at else ""
    unread = (
        f' <span class="badge" data-status="unread">{order.unread_comments} unread</span>'
        if order.unread_comments
        else ""
    )
    return f'<td class="reference"><a href="{url}">{reference}</a>{gone}{unread}</td>'


def _status(order: Order, url: str) -> str:
    return f"<td>{badge(order.status)}</td>"


def _numbers(order: Order, url: str) -> str:
    return f'<td class="num">{order.phone_numbers_count}</td>'


def _requirements_met(order: Order, url: str) -> str:
    return f"<td>{_YES_NO[order.requirements_met]}</td>"


def _countries(order: Order, url: str) -> str:
    return f"<td>{escape(order.countries)}</td>"


def _deadline(order: Order, url: str) -> str:
    return f"<td>{deadline(order.deadline)}</td>"


def _synced(order: Order, url: str) -> str:
    return f"<td>{minute(order.synced_at)}</td>"


COLUMNS = (
    Column("Created", ("id", "created_at"), _created, sort="-created"),
    Column(
        "Customer reference",
        ("id", "customer_reference", "gone_at", "unread_comments"),
        _reference,
        "reference",
    ),
    Column("Status", ("status",), _status, sort="status"),
    Column("Numbers", ("phone_numbers_count",), _numbers, sort="-numbers"),
    Column("Requirements met", ("requirements_met",), _requirements_met),
    Column("Countries", ("countries",), _countries),
    Column("Deadline", ("deadline",), _deadline, sort="deadline"),
    Column("Synced", ("synced_at",), _synced),
)
LIST_FIELDS = tuple(dict.fromkeys(field for column in COLUMNS for field in column.fields))
_CELLS = tuple(column.cell for column in COLUMNS)


def order_row(order: Order) -> str:
    """The list's <tr> for `order`, a cell per column; it reads LIST_FIELDS only."""
    url = order_url(order.id)
    return f"<tr>{''.join([cell(order, url) for cell in _CELLS])}</tr>"
