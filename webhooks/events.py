"""Reads the envelope of a Telnyx webhook event: what the receiver validates before storing it.

{"data": {"id", "event_type", "occurred_at", "payload": {...}, "record_type": "event"},
 "meta": {"attempt", "delivered_to"}}
"""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

# The columns' sizes (WebhookEvent.event_id / event_type / attempt).
_MAX_ID = 255
_MAX_TYPE = 100
_MAX_ATTEMPT = 2**31 - 1


class MalformedEvent(ValueError):
    """The body is not a Telnyx event we can store."""


@dataclass(frozen=True)
class Event:
    id: str
    event_type: str
    occurred_at: datetime | None
    attempt: int | None
    payload: dict[str, Any]

    @property
    def order_id(self) -> uuid.UUID | None:
        """The number order the event is about, for number order events."""
        if not self.event_type.startswith("number_order."):
            return None
        try:
            return uuid.UUID(str(self.payload.get("id")))
        except ValueError:
            return None


def _load(body: bytes) -> Any:
    try:
        return json.loads(body)
    # RecursionError: deeply nested arrays are valid JSON that json cannot read.
    except (ValueError, RecursionError):
        raise MalformedEvent("body is not JSON") from None


def _text(data: dict, key: str, max_length: int) -> str:
    value = data.get(key)
    # isprintable also keeps out NUL, which PostgreSQL refuses in text columns.
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise MalformedEvent(f"data.{key} is missing or not a string of 1-{max_length} chars")
    if not value.isprintable():
        raise MalformedEvent(f"data.{key} holds control characters")
    return value


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _attempt(meta: Any) -> int | None:
    attempt = meta.get("attempt") if isinstance(meta, dict) else None
    # bool is an int to Python, not to JSON.
    if isinstance(attempt, int) and not isinstance(attempt, bool) and 0 <= attempt <= _MAX_ATTEMPT:
        return attempt
    return None


def parse_event(body: bytes) -> Event:
    document = _load(body)
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict):
        raise MalformedEvent("no data object")
    event_id = _text(data, "id", _MAX_ID)
    event_type = _text(data, "event_type", _MAX_TYPE)
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise MalformedEvent("data.payload is not an object")
    return Event(
        id=event_id,
        event_type=event_type,
        occurred_at=_datetime(data.get("occurred_at")),
        attempt=_attempt(document.get("meta")),
        payload=payload,
    )


def claimed_event_id(body: bytes) -> str:
    """The event id an unverified body claims, quoted and cut short: for log lines only."""
    try:
        data = _load(body).get("data") or {}
        event_id = data.get("id")
    except (MalformedEvent, AttributeError):
        return "unreadable"
    return repr(event_id[:64]) if isinstance(event_id, str) else "unreadable"
