"""The audit trail: one append-only entry for every attempt at an action on an order."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http import HTTPStatus

from django.contrib.auth.models import AbstractBaseUser

from orders.models import AuditEntry, AuditOutcome
from orders.telnyx import TelnyxError

logger = logging.getLogger(__name__)


def error_sources(error: TelnyxError) -> Iterator[tuple[str | None, str]]:
    """(source pointer or parameter, Telnyx's words) for every error Telnyx sent."""
    for item in error.errors:
        source = item.get("source") if isinstance(item.get("source"), dict) else {}
        where = source.get("pointer") or source.get("parameter")
        yield where, str(item.get("detail") or item.get("title") or "")


def _error_detail(error: TelnyxError) -> str:
    """Telnyx's words, or the error's own when Telnyx's errors said nothing readable."""
    detail = "; ".join(
        f"{where}: {text}" if where else text for where, text in error_sources(error) if text
    )
    return detail or str(error)


def _storable(value: object) -> object:
    """`value` as every database keeps it: PostgreSQL refuses NUL in text and JSON, which
    Telnyx's answers may hold."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    return value


def _outcome_fields(
    outcome: AuditOutcome, error: TelnyxError | None, fields: dict[str, object]
) -> dict[str, object]:
    if error is not None:
        fields |= {
            "http_status": error.status,
            "telnyx_code": error.code or "",
            "telnyx_detail": _error_detail(error),
        }
    elif outcome == AuditOutcome.SUCCESS:
        fields["http_status"] = HTTPStatus.OK
    return {name: _storable(value) for name, value in fields.items()} | {"outcome": outcome}


def audit_write(
    *,
    user: AbstractBaseUser,
    outcome: AuditOutcome,
    error: TelnyxError | None = None,
    **fields: object,
) -> AuditEntry:
    """Appends the audit entry of one attempt. Written in autocommit, apart from order_store's
    transaction, so a failed attempt's entry is kept (the action views are non-atomic).
    An attempt that calls Telnyx is written with outcome PENDING before the call, and completed
    with audit_complete() after it."""
    return AuditEntry.objects.create(
        user=user, username=user.get_username(), **_outcome_fields(outcome, error, fields)
    )


def audit_complete(
    entry: AuditEntry,
    *,
    outcome: AuditOutcome,
    error: TelnyxError | None = None,
    **fields: object,
) -> AuditEntry:
    """Completes a PENDING entry with how the attempt ended (and `after`, Telnyx's status,
    ...): the one change an entry ever gets. Raises ValueError for an entry that is not
    pending any more, or a completion as pending."""
    if outcome == AuditOutcome.PENDING:
        raise ValueError("an audit entry is completed with how the attempt ended")
    values = _outcome_fields(outcome, error, fields)
    # One statement, which only a pending entry matches: two completions cannot both apply.
    done = AuditEntry.objects.filter(pk=entry.pk, outcome=AuditOutcome.PENDING).update(**values)
    if done != 1:
        raise ValueError(f"audit entry {entry.pk} is not pending: entries are append-only")
    for name, value in values.items():
        setattr(entry, name, value)
    return entry


INTERRUPTED = "Interrupted: the server stopped waiting for Telnyx before it answered."


def audit_close_interrupted(*, before: datetime) -> int:
    """Completes, as outcome unknown, the entries still pending from before `before`: their
    request died waiting for Telnyx (a worker killed or restarted), so no answer will come to
    complete them. Returns how many."""
    return AuditEntry.objects.filter(outcome=AuditOutcome.PENDING, created_at__lt=before).update(
        outcome=AuditOutcome.UNKNOWN, telnyx_detail=INTERRUPTED
    )


def audit_outcome(error: TelnyxError) -> AuditOutcome:
    """What became of an attempt that Telnyx failed or refused."""
    if error.status == HTTPStatus.NOT_FOUND:
        return AuditOutcome.GONE
    if error.status is not None and 400 <= error.status < 500 and not error.retryable:
        return AuditOutcome.REFUSED
    return AuditOutcome.FAILED


def audit_failed(entry: AuditEntry, error: TelnyxError) -> bool:
    """Completes a pending entry with how its call to Telnyx failed; True when the call may
    have been applied all the same (no answer after sending it, a 5xx, an unreadable answer)."""
    unknown = error.outcome_unknown or error.kind == "malformed"
    audit_complete(
        entry, outcome=AuditOutcome.UNKNOWN if unknown else audit_outcome(error), error=error
    )
    return unknown


def sent_request(method: str, path: str, body: dict | None = None) -> dict:
    """What was sent, for the audit: the request line and body (the key is in a header)."""
    return {"method": method, "path": path, **({"body": body} if body is not None else {})}


@contextmanager
def audit_completed(entry: AuditEntry) -> Iterator[None]:
    """Makes sure a pending entry is completed even when something nobody foresaw breaks the
    attempt: as failed, before the error goes on."""
    try:
        yield
    except Exception:
        if entry.outcome == AuditOutcome.PENDING:
            logger.exception("audit entry %s: the attempt broke off", entry.pk)
            audit_complete(
                entry, outcome=AuditOutcome.FAILED, telnyx_detail="broke off on the dashboard"
            )
        raise
