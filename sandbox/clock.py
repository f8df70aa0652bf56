"""Telnyx's timestamp format, read and written."""

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """Telnyx's timestamp format: '2026-11-16T09:00:00.000000Z'."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
