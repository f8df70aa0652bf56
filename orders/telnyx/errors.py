"""The one error type of the Telnyx client, and how it reads Telnyx's error bodies."""

from __future__ import annotations

import math

import orjson
import requests

# What an error keeps of Telnyx's words, which reach pages, logs and the audit (whose
# telnyx_code column holds 32 characters): a hostile or broken body cannot make them huge.
CODE_LENGTH = 32
TEXT_LENGTH = 500
ERRORS_KEPT = 20


def _text(value: object, limit: int) -> str:
    """One line of at most `limit` characters from a value of an error body: numbers as
    written, text without control characters (NUL included), anything else as nothing."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    # Cut before cleaning, so a megabyte of text costs no more than a short one.
    raw = value[: limit * 4] if isinstance(value, str) else str(value)
    text = " ".join(
        "".join(c if c.isprintable() else " " if c.isspace() else "" for c in raw).split()
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _errors(items: object) -> list[dict]:
    """Telnyx's `errors` with only what they should hold: code, title, detail (strings) and
    source pointer and parameter, each left out when absent or unreadable."""
    if not isinstance(items, list):
        return []
    cleaned = []
    for item in items:
        if not isinstance(item, dict):
            continue
        source = item.get("source") if isinstance(item.get("source"), dict) else {}
        where = {key: _text(source.get(key), TEXT_LENGTH) for key in ("pointer", "parameter")}
        error = {
            "code": _text(item.get("code"), CODE_LENGTH),
            "title": _text(item.get("title"), TEXT_LENGTH),
            "detail": _text(item.get("detail"), TEXT_LENGTH),
            "source": {key: text for key, text in where.items() if text},
        }
        cleaned.append({key: value for key, value in error.items() if value})
        if len(cleaned) == ERRORS_KEPT:
            break
    return cleaned


class TelnyxError(Exception):
    """A call to Telnyx failed: an HTTP error, a timeout, a refused connection or a bad body.

    Its texts are short single lines whatever Telnyx sent: see `_text`.
    `budget`: the seconds the call was allowed, when it ran out of them (kind "timeout").
    `outcome_unknown`: a write (PATCH, POST) may have reached Telnyx, but no answer said whether
    it was applied: a timeout or a dropped connection after sending it, or a 5xx. False when it
    failed before it was sent (connecting), or was refused: then nothing was applied.
    """

    def __init__(
        self,
        kind: str,
        *,
        status: int | None = None,
        code: str | int | None = None,
        title: str = "",
        detail: str = "",
        pointer: str | None = None,
        parameter: str | None = None,
        errors: list[dict] | None = None,
        retry_after: float | None = None,
        budget: float | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        self.kind = kind
        self.status = status
        self.code = _text(code, CODE_LENGTH) or None
        self.title = _text(title, TEXT_LENGTH)
        self.detail = _text(detail, TEXT_LENGTH)
        self.pointer = _text(pointer, TEXT_LENGTH) or None
        self.parameter = _text(parameter, TEXT_LENGTH) or None
        self.errors = _errors(errors)
        # Seconds until Telnyx's rate limit resets, when a 429 said so.
        self.retry_after = retry_after
        self.budget = budget
        self.outcome_unknown = outcome_unknown
        super().__init__(str(self))

    @classmethod
    def from_response(
        cls, response: requests.Response, *, outcome_unknown: bool = False
    ) -> TelnyxError:
        """Reads Telnyx's `{"errors": [...]}`; a proxy's HTML error page still gives a status."""
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = None
        errors = _errors(body.get("errors") if isinstance(body, dict) else None)
        first = errors[0] if errors else {}
        source = first.get("source", {})
        try:
            retry_after = float(response.headers["x-ratelimit-reset"])
        except (KeyError, ValueError):
            retry_after = None
        if retry_after is not None and not math.isfinite(retry_after):
            retry_after = None
        return cls(
            "http",
            status=response.status_code,
            code=first.get("code"),
            title=first.get("title")
            or _text(response.reason, TEXT_LENGTH)
            or f"HTTP {response.status_code}",
            detail=first.get("detail", ""),
            pointer=source.get("pointer"),
            parameter=source.get("parameter"),
            errors=errors,
            retry_after=retry_after,
            outcome_unknown=outcome_unknown,
        )

    @property
    def retryable(self) -> bool:
        if self.kind in ("timeout", "connection"):
            return True
        return self.status is not None and (self.status >= 500 or self.status == 429)

    def __str__(self) -> str:
        if self.kind == "timeout":
            if self.budget is not None:
                return f"Telnyx did not answer within {self.budget:g} s."
            return "Telnyx did not answer in time."
        if self.kind == "connection":
            return "Could not connect to Telnyx."
        if self.kind == "malformed":
            return f"Telnyx sent an unexpected answer ({self.detail})."
        code = f", code {self.code}" if self.code else ""
        sentence = f"Telnyx answered HTTP {self.status}{code}: {self.title}"
        if self.detail and self.detail != self.title:
            sentence += f" ({self.detail})"
        if self.pointer:
            sentence += f" at {self.pointer}"
        return sentence + "."
