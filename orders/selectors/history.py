"""An order's history: its audit entries merged with the lines of registered history sources."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from orders.models import AuditEntry

# The order page's history shows this many of the latest entries.
HISTORY_SHOWN = 50


@dataclass(frozen=True)
class HistoryEntry:
    """One line of an order's history: an action taken through the dashboard (AuditEntry) or a
    line from a history source (the webhook events Telnyx sent about the order)."""

    at: datetime
    who: str
    what: str
    outcome: str  # the machine value, for styling
    outcome_label: str
    detail: str  # reason, Telnyx's status, code and detail


# A source's latest `limit` lines about one order, newest first.
HistorySource = Callable[..., list[HistoryEntry]]  # (*, order_id, limit)

# Other apps add their lines from their AppConfig.ready(): orders depends on none of them.
_sources: list[HistorySource] = []


def history_source_register(source: HistorySource) -> None:
    """Adds `source`'s lines to every order's history (once, however often it is registered)."""
    if source not in _sources:
        _sources.append(source)


def _subject(entry: AuditEntry) -> str:
    """What an upload or a new address was about: the file's name, the address."""
    body = entry.sent.get("body") if isinstance(entry.sent, dict) else None
    if not isinstance(body, dict):
        return ""
    if entry.action == AuditEntry.Action.DOCUMENT_UPLOAD:
        return str(body.get("filename") or "")
    if entry.action == AuditEntry.Action.ADDRESS_CREATE:
        parts = (body.get(name) for name in ("business_name", "street_address", "locality"))
        return ", ".join(str(part) for part in parts if part)
    return ""


def _audit_line(entry: AuditEntry) -> HistoryEntry:
    telnyx = " ".join(
        part
        for part in (
            f"HTTP {entry.http_status}" if entry.http_status else "",
            f"code {entry.telnyx_code}" if entry.telnyx_code else "",
            entry.telnyx_detail,
        )
        if part
    )
    reason = f"Reason: {entry.reason}" if entry.reason else ""
    return HistoryEntry(
        at=entry.created_at,
        who=entry.username,
        what=": ".join(part for part in (entry.get_action_display(), _subject(entry)) if part),
        outcome=entry.outcome,
        outcome_label=entry.get_outcome_display(),
        detail=" · ".join(part for part in (reason, telnyx) if part),
    )


def order_history(*, order_id: uuid.UUID, limit: int = HISTORY_SHOWN) -> list[HistoryEntry]:
    """The latest `limit` actions and source lines about an order, newest first."""
    lines = [_audit_line(entry) for entry in AuditEntry.objects.filter(order_id=order_id)[:limit]]
    for source in _sources:
        lines += source(order_id=order_id, limit=limit)
    return sorted(lines, key=lambda line: line.at, reverse=True)[:limit]
