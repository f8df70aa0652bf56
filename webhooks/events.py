"""Reads the envelope of a Telnyx webhook event: what the receiver validates before storing it.

{"data": {"id", "event_type", "occurred_at", "payload": {...}, "record_type": "event"},
 "meta": {"attempt", "delivered_to"}}
"""

import json
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any, NoReturn

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from orders.services.telnyx_data import parse_timestamp

# Dates an event may hold, anywhere in it: those the order cache takes.
from orders.services.telnyx_fields import EARLIEST, LATEST

# The columns' sizes (WebhookEvent.event_id / event_type / attempt).
_MAX_ID = 255
_MAX_TYPE = 100
_MAX_ATTEMPT = 2**31 - 1
# Integers in an order end up in 32-bit columns (counts).
_MAX_INT = 2**31 - 1


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


def _not_json(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not JSON")


def _load(body: bytes) -> Any:
    try:
        # parse_constant: json reads NaN and Infinity, which no JSON column stores.
        return json.loads(body, parse_constant=_not_json)
    # RecursionError: deeply nested arrays are valid JSON that json cannot read.
    except (ValueError, RecursionError):
        raise MalformedEvent("body is not JSON") from None


def _check_string(value: str) -> None:
    # PostgreSQL refuses NUL in text and JSON; an unpaired surrogate cannot be encoded at all.
    if "\x00" in value:
        raise MalformedEvent("a string holds a NUL character")
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            raise MalformedEvent("a string holds an unpaired surrogate") from None
    # Only strings that begin with a digit can be ISO 8601 dates.
    if value[:1].isdigit():
        _check_date(value)


def _check_date(value: str) -> None:
    """Refuses a string the cache would read as a date (with parse_datetime or parse_date, as it
    does) when it is no valid date, or one outside EARLIEST to LATEST."""
    try:
        parsed = parse_datetime(value)
        if parsed is None and (day := parse_date(value)) is not None:
            parsed = datetime.combine(day, time())
    except ValueError:
        raise MalformedEvent("a date is not a valid date") from None
    if parsed is None:
        return
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    # Compared as they are: converted to UTC, 9999-12-31T23:00-14:00 overflows into year 10000.
    if not EARLIEST <= parsed < LATEST:
        raise MalformedEvent(f"a date is outside the years {EARLIEST.year}-{LATEST.year - 1}")


def _check_storable(document: Any) -> None:
    """Refuses what the database or the pages could not take: the event is stored as it came and
    applied to the order cache, so one bad value would otherwise fail every time it is read."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            for key in value:
                _check_string(key)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str):
            _check_string(value)
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int) and abs(value) > _MAX_INT:
            raise MalformedEvent("an integer is out of range")
        # 1e400 is valid JSON that json reads as infinity.
        elif isinstance(value, float) and not math.isfinite(value):
            raise MalformedEvent("a number is out of range")


def _text(data: dict, key: str, max_length: int) -> str:
    value = data.get(key)
    # isprintable also keeps out NUL, which PostgreSQL refuses in text columns.
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise MalformedEvent(f"data.{key} is missing or not a string of 1-{max_length} chars")
    if not value.isprintable():
        raise MalformedEvent(f"data.{key} holds control characters")
    return value


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
    _check_storable(document)
    event_id = _text(data, "id", _MAX_ID)
    event_type = _text(data, "event_type", _MAX_TYPE)
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise MalformedEvent("data.payload is not an object")
    return Event(
        id=event_id,
        event_type=event_type,
        occurred_at=parse_timestamp(data.get("occurred_at")),
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
