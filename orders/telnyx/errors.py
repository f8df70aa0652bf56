"""The one error type of the Telnyx client, and how it reads Telnyx's error bodies."""

from __future__ import annotations

import math

import requests


class TelnyxError(Exception):
    """A call to Telnyx failed: an HTTP error, a timeout, a refused connection or a bad body."""

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
    ) -> None:
        self.kind = kind
        self.status = status
        self.code = None if code is None else str(code)
        self.title = title
        self.detail = detail
        self.pointer = pointer
        self.parameter = parameter
        self.errors = errors or []
        # Seconds until Telnyx's rate limit resets, when a 429 said so.
        self.retry_after = retry_after
        super().__init__(str(self))

    @classmethod
    def from_response(cls, response: requests.Response) -> TelnyxError:
        """Reads Telnyx's `{"errors": [...]}`; a proxy's HTML error page still gives a status."""
        try:
            errors = response.json().get("errors")
        except (ValueError, AttributeError):
            errors = None
        if not isinstance(errors, list):
            errors = []
        errors = [error for error in errors if isinstance(error, dict)]
        first = errors[0] if errors else {}
        source = first.get("source") if isinstance(first.get("source"), dict) else {}
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
            title=first.get("title") or response.reason or f"HTTP {response.status_code}",
            detail=first.get("detail") or "",
            pointer=source.get("pointer"),
            parameter=source.get("parameter"),
            errors=errors,
            retry_after=retry_after,
        )

    @property
    def retryable(self) -> bool:
        if self.kind in ("timeout", "connection"):
            return True
        return self.status is not None and (self.status >= 500 or self.status == 429)

    def __str__(self) -> str:
        if self.kind == "timeout":
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
