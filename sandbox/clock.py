"""The sandbox's clock, which tests and demos can move forward, and Telnyx's timestamp format."""

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    """Real time plus an offset: `advance()` makes half an hour pass at once."""

    def __init__(self):
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, by: timedelta) -> None:
        if by < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += by


def iso(moment: datetime) -> str:
    """Telnyx's timestamp format: '2026-11-16T09:00:00.000000Z'."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
