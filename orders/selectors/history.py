"""An order's history: the actions taken on it through the dashboard and Telnyx's events."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from orders.models import AuditEntry
from webhooks.models import WebhookEvent
from webhooks.selectors import events_for_order

# The order page's history shows this many of the latest entries.
HISTORY_SHOWN = 50


@dataclass(frozen=True)
class HistoryEntry:
    """One line of an order's history: an action taken through the dashboard (AuditEntry) or a
    webhook event Telnyx sent about it."""

    at: datetime
    who: str
    what: str
    outcome: str  # the machine value, for styling
    outcome_label: str
    detail: str  # reason, Telnyx's status, code and detail


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
        what=entry.get_action_display(),
        outcome=entry.outcome,
        outcome_label=entry.get_outcome_display(),
        detail=" · ".join(part for part in (reason, telnyx) if part),
    )


def _event_line(event: WebhookEvent) -> HistoryEntry:
    return HistoryEntry(
        at=event.received_at,
        who="Telnyx (webhook)",
        what=event.event_type,
        outcome=event.outcome,
        outcome_label=event.get_outcome_display(),
        detail=event.detail,
    )


def order_history(*, order_id: uuid.UUID, limit: int = HISTORY_SHOWN) -> list[HistoryEntry]:
    """The latest `limit` actions and webhook events about an order, newest first."""
    lines = [_audit_line(entry) for entry in AuditEntry.objects.filter(order_id=order_id)[:limit]]
    lines += [_event_line(event) for event in events_for_order(order_id=order_id)[:limit]]
    return sorted(lines, key=lambda line: line.at, reverse=True)[:limit]
