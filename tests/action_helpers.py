"""What the order action tests share: every kind of upstream failure an action can meet, and
ways to find the sandbox's orders and requirements in the cache."""

from dataclasses import dataclass, field

import pytest
import requests

from orders.models import AuditEntry, Order
from orders.selectors.order_page import RequirementSummary, order_detail, requirement_summaries

Outcome = AuditEntry.Outcome


def marked_gone(snapshot: dict) -> bool:
    """Takes the gone mark (and the change stamp that comes with it) out of a cache_snapshot."""
    order = snapshot["order"][0]
    order.pop("changed_at")
    return order.pop("gone_at") is not None


def errors(code: str, title: str, detail: str, *, pointer: str | None = None) -> dict:
    """A body in Telnyx's error format."""
    error = {"code": code, "title": title, "detail": detail}
    if pointer is not None:
        error["source"] = {"pointer": pointer}
    return {"errors": [error]}


@dataclass(frozen=True)
class Failure:
    name: str
    status: int | None  # what the audit entry records
    body: dict | str | Exception  # JSON, a raw body, or what requests raises
    outcome: str
    code: str
    message: str  # part of what the person is told
    retryable: bool
    headers: dict = field(default_factory=dict)

    def register(self, mock, method: str, url: str) -> None:
        """Makes `mock` (a responses.RequestsMock) answer `method url` with this failure."""
        if isinstance(self.body, Exception):
            mock.add(method, url, body=self.body)
        elif isinstance(self.body, str):
            mock.add(
                method, url, body=self.body, status=self.status, content_type="application/json"
            )
        else:
            mock.add(method, url, json=self.body, status=self.status, headers=self.headers)


FAILURES = [
    Failure(
        "400",
        400,
        errors("10015", "Bad Request", "The request body must be a JSON object.", pointer="/"),
        Outcome.REFUSED,
        "10015",
        "Telnyx refused it (HTTP 400): The request body must be a JSON object. Nothing",
        retryable=False,
    ),
    Failure(
        "401",
        401,
        errors(
            "10009", "Authentication failed", "The required authentication headers were invalid."
        ),
        Outcome.REFUSED,
        "10009",
        "Telnyx refused the dashboard's credentials (HTTP 401)",
        retryable=False,
    ),
    Failure(
        "403",
        403,
        errors("10010", "Authorization failed", "The API key may not do this."),
        Outcome.REFUSED,
        "10010",
        "Telnyx refused the dashboard's credentials (HTTP 403)",
        retryable=False,
    ),
    Failure(
        "404",
        404,
        errors("10005", "Resource not found", "The requested resource could not be found."),
        Outcome.GONE,
        "10005",
        "no longer knows this",
        retryable=False,
    ),
    Failure(
        "429",
        429,
        errors("10011", "Too many requests", "You have exceeded the allowed requests."),
        Outcome.FAILED,
        "10011",
        "Nothing was changed; try again",
        retryable=True,
        headers={"x-ratelimit-reset": "0"},
    ),
    Failure(
        "500",
        500,
        errors("10007", "Unexpected error", "An unexpected error occurred."),
        Outcome.FAILED,
        "10007",
        "Nothing was changed; try again",
        retryable=True,
    ),
    Failure(
        "timeout",
        None,
        requests.ReadTimeout("read timed out"),
        Outcome.FAILED,
        "",
        "Telnyx did not answer in time. Nothing was changed",
        retryable=True,
    ),
    Failure(
        "refused connection",
        None,
        requests.ConnectionError("connection refused"),
        Outcome.FAILED,
        "",
        "Could not connect to Telnyx. Nothing was changed",
        retryable=True,
    ),
    Failure(
        "malformed JSON",
        200,
        '{"data": {"id": "',
        Outcome.FAILED,
        "",
        "Telnyx sent an unexpected answer",
        retryable=True,
    ),
]


def pending_requirement(label: str) -> tuple[Order, RequirementSummary]:
    """The newest cached pending order with a requirement called `label`, and that requirement."""
    for order in Order.objects.filter(status="pending").order_by("-created_at"):
        for summary in requirement_summaries(detail=order_detail(order_id=order.pk)):
            if summary.label == label:
                return order, summary
    pytest.fail(f"the sandbox's seed has no pending order with {label!r}")


def requirement(order: Order, label: str) -> RequirementSummary:
    """The order's requirement called `label`."""
    return next(
        summary
        for summary in requirement_summaries(detail=order_detail(order_id=order.pk))
        if summary.label == label
    )


def other_customer_type(summary: RequirementSummary) -> str:
    """A valid value for a "Customer type" requirement that differs from its current one."""
    return "individual" if summary.current_value == "business" else "business"
