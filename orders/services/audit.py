"""The audit trail: one append-only entry for every attempt at an action on an order."""

from collections.abc import Iterator
from http import HTTPStatus

from django.contrib.auth.models import AbstractBaseUser

from orders.models import AuditEntry, AuditOutcome
from orders.telnyx import TelnyxError


def error_sources(error: TelnyxError) -> Iterator[tuple[str | None, str]]:
    """(source pointer or parameter, Telnyx's words) for every error Telnyx sent."""
    for item in error.errors:
        source = item.get("source") if isinstance(item.get("source"), dict) else {}
        where = source.get("pointer") or source.get("parameter")
        yield where, str(item.get("detail") or item.get("title") or "")


def _error_detail(error: TelnyxError) -> str:
    if not error.errors:
        return str(error)
    return "; ".join(f"{where}: {text}" if where else text for where, text in error_sources(error))


def audit_write(
    *,
    user: AbstractBaseUser,
    outcome: AuditOutcome,
    error: TelnyxError | None = None,
    **fields: object,
) -> AuditEntry:
    """Appends the audit entry of one attempt. Written in autocommit, apart from order_store's
    transaction, so a failed attempt's entry is kept (the action views are non-atomic)."""
    if error is not None:
        fields |= {
            "http_status": error.status,
            "telnyx_code": error.code or "",
            "telnyx_detail": _error_detail(error),
        }
    elif outcome == AuditOutcome.SUCCESS:
        fields["http_status"] = HTTPStatus.OK
    return AuditEntry.objects.create(
        user=user, username=user.get_username(), outcome=outcome, **fields
    )


def audit_outcome(error: TelnyxError) -> AuditOutcome:
    """What became of an attempt that Telnyx failed or refused."""
    if error.status == HTTPStatus.NOT_FOUND:
        return AuditOutcome.GONE
    if error.status is not None and 400 <= error.status < 500 and not error.retryable:
        return AuditOutcome.REFUSED
    return AuditOutcome.FAILED


def sent_request(method: str, path: str, body: dict | None = None) -> dict:
    """What was sent, for the audit: the request line and body (the key is in a header)."""
    return {"method": method, "path": path, **({"body": body} if body is not None else {})}
