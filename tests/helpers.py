"""What the tests share besides fixtures (those are in conftest.py): the sandbox's key and the
fake Telnyx address, pages and their sections, a browser login, a webhook signer, Telnyx's error
bodies and every kind of upstream failure an action can meet, and ways to find orders,
requirements and requests in the sandbox and in the cache."""

import base64
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from urllib3.exceptions import NewConnectionError

from orders.models import (
    AuditOutcome,
    Comment,
    CommenterType,
    Order,
    RequirementDefinition,
    RequirementGroup,
    SubOrder,
)
from orders.requirement_forms import requirement_field_name
from orders.selectors.order_page import RequirementSummary, order_detail, requirement_summaries
from sandbox import files

SANDBOX_KEY = "test-sandbox-key"
FAKE_TELNYX = "https://telnyx.invalid/v2"
HTMX = {"HX-Request": "true"}


def page_html(client, url: str, data: dict | None = None) -> str:
    """The page at `url` (GET, with `data` as its query), which must answer 200, as text."""
    response = client.get(url, data)
    assert response.status_code == 200
    return response.content.decode()


def html_section(html: str, section_id: str) -> str:
    """The `<section id="section_id">` of a page."""
    return re.search(rf'<section id="{section_id}".*?</section>', html, re.S)[0]


def eventually(condition: Callable, *, seconds: float):
    """Asks `condition()` again until it answers something true, which it returns; fails the
    test after `seconds` (a bound for a wait, never a timing assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if answer := condition():
            return answer
        time.sleep(0.02)
    pytest.fail(f"still not so after {seconds:g} s")


def axe_violations(page, *, impacts=("critical", "serious")) -> list[str]:
    """axe-core's findings of those impacts on the page as it is now, one line each (rule, what
    it says, the first offending element), for an assertion message that says what to fix.
    The page's CSP forbids injected scripts: evaluate() runs the library as DevTools does."""
    import axe_playwright_python

    source = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text()
    page.evaluate(source)
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{rule['id']} ({rule['impact']}): {rule['help']} at {rule['nodes'][0]['target']}"
        for rule in result["violations"]
        if rule["impact"] in impacts
    ]


def login(page, username: str, password: str = "pw") -> None:
    """Signs a browser tab (the `page` fixture) in through the real login form."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def stays_on_the_page(page) -> None:
    """Marks the document loaded in a browser tab: still marked later (assert_not_reloaded)
    means HTMX swapped parts of it, no navigation happened."""
    page.evaluate("window.notReloaded = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.notReloaded === true")


class WebhookSigner:
    """Signs webhook bodies the way Telnyx does, with a key pair made for the test."""

    def __init__(self) -> None:
        self._key = Ed25519PrivateKey.generate()
        raw = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key_b64 = base64.b64encode(raw).decode()

    def sign(self, body: bytes, timestamp: str) -> str:
        return base64.b64encode(self._key.sign(timestamp.encode() + b"|" + body)).decode()

    def headers(self, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        return {"telnyx-signature-ed25519": self.sign(body, stamp), "telnyx-timestamp": stamp}


def webhook_event(payload: dict, *, event_id: str | None = None, **data) -> bytes:
    """The body of a Telnyx number_order.complete delivery carrying `payload`."""
    document = {
        "data": {
            "id": event_id or str(uuid.uuid4()),
            "event_type": "number_order.complete",
            "occurred_at": "2026-11-20T10:00:01.123456Z",
            "payload": payload,
            "record_type": "event",
            **data,
        },
        "meta": {"attempt": 1, "delivered_to": "https://intranet.example/webhooks/telnyx/"},
    }
    return json.dumps(document).encode()


def bump(box, order_id: str, **changes) -> None:
    """Changes a sandbox order behind the dashboard's back, as another Telnyx user would."""
    order = box.orders[order_id]
    order.update(changes)
    stamp = datetime.fromisoformat(order["updated_at"]) + timedelta(minutes=5)
    order["updated_at"] = stamp.isoformat().replace("+00:00", "Z")


def marked_gone(snapshot: dict) -> bool:
    """Takes the gone mark (and the change stamp that comes with it) out of a cache_snapshot."""
    order = snapshot["order"][0]
    order.pop("changed_at")
    return order.pop("gone_at") is not None


def telnyx_error(
    code: str | int,
    *,
    title: str,
    detail: str = "",
    pointer: str | None = None,
    parameter: str | None = None,
) -> dict:
    """A body in Telnyx's error format, with a source where a pointer or parameter is given."""
    error = {"code": code, "title": title, "detail": detail}
    source = {
        key: value for key, value in [("pointer", pointer), ("parameter", parameter)] if value
    }
    if source:
        error["source"] = source
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
    # A write (PATCH) that meets it may have been applied: Telnyx got it and did not say.
    applied_maybe: bool = False

    def written(self) -> "Failure":
        """This failure as a write meets it: of unknown outcome when it may have been applied."""
        if not self.applied_maybe:
            return self
        return replace(
            self,
            outcome=AuditOutcome.UNKNOWN,
            message="It is not known whether Telnyx applied the change",
        )

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
        telnyx_error(
            "10015",
            title="Bad Request",
            detail="The request body must be a JSON object.",
            pointer="/",
        ),
        AuditOutcome.REFUSED,
        "10015",
        "Telnyx refused it (HTTP 400): The request body must be a JSON object. Nothing",
        retryable=False,
    ),
    Failure(
        "401",
        401,
        telnyx_error(
            "10009",
            title="Authentication failed",
            detail="The required authentication headers were invalid.",
        ),
        AuditOutcome.REFUSED,
        "10009",
        "Telnyx refused the dashboard's credentials (HTTP 401)",
        retryable=False,
    ),
    Failure(
        "403",
        403,
        telnyx_error("10010", title="Authorization failed", detail="The API key may not do this."),
        AuditOutcome.REFUSED,
        "10010",
        "Telnyx refused the dashboard's credentials (HTTP 403)",
        retryable=False,
    ),
    Failure(
        "404",
        404,
        telnyx_error(
            "10005", title="Resource not found", detail="The requested resource could not be found."
        ),
        AuditOutcome.GONE,
        "10005",
        "no longer knows this",
        retryable=False,
    ),
    Failure(
        "429",
        429,
        telnyx_error(
            "10011", title="Too many requests", detail="You have exceeded the allowed requests."
        ),
        AuditOutcome.FAILED,
        "10011",
        "Nothing was changed; try again",
        retryable=True,
        headers={"x-ratelimit-reset": "0"},
    ),
    Failure(
        "500",
        500,
        telnyx_error("10007", title="Unexpected error", detail="An unexpected error occurred."),
        AuditOutcome.FAILED,
        "10007",
        "Nothing was changed; try again",
        retryable=True,
        applied_maybe=True,
    ),
    Failure(
        "timeout",
        None,
        requests.ReadTimeout("read timed out"),
        AuditOutcome.FAILED,
        "",
        "Telnyx did not answer in time. Nothing was changed",
        retryable=True,
        applied_maybe=True,
    ),
    Failure(
        "refused connection",
        None,
        # As requests raises it: nothing was sent.
        requests.ConnectionError(NewConnectionError(None, "Connection refused")),
        AuditOutcome.FAILED,
        "",
        "Could not connect to Telnyx. Nothing was changed",
        retryable=True,
    ),
    Failure(
        "malformed JSON",
        200,
        '{"data": {"id": "',
        AuditOutcome.FAILED,
        "",
        "Telnyx sent an unexpected answer",
        retryable=True,
        applied_maybe=True,
    ),
    # Telnyx's error bodies as a broken or hostile upstream may send them.
    Failure(
        "numbers in the error body",
        422,
        {"errors": [{"code": 10015, "title": 422, "detail": 12.5, "source": {"pointer": 7}}]},
        AuditOutcome.REFUSED,
        "10015",
        "Telnyx refused it (HTTP 422): 12.5. Nothing was changed.",
        retryable=False,
    ),
    Failure(
        "objects in the error body",
        422,
        {
            "errors": [
                {
                    "code": {"n": 1},
                    "title": ["Bad"],
                    "detail": {"text": "no"},
                    "source": {"pointer": {"at": "/"}},
                }
            ]
        },
        AuditOutcome.REFUSED,
        "",
        "Telnyx refused it (HTTP 422): Unprocessable Entity. Nothing was changed.",
        retryable=False,
    ),
    Failure(
        "huge error body",
        400,
        telnyx_error(
            "9" * 1000, title="T" * 100_000, detail="D" * 1_000_000, pointer="/" + "p" * 100_000
        ),
        AuditOutcome.REFUSED,
        "9" * 31 + "…",
        "Telnyx refused it (HTTP 400): DDDD",
        retryable=False,
    ),
    Failure(
        "NUL bytes in the error body",
        422,
        telnyx_error(
            "100\x0015", title="Bad\x00 value", detail="Not\x00 allowed", pointer="/status\x00"
        ),
        AuditOutcome.REFUSED,
        "10015",
        "Telnyx refused it (HTTP 422): Not allowed. Nothing was changed.",
        retryable=False,
    ),
]


def pending_requirement(label: str) -> tuple[Order, RequirementSummary]:
    """The newest cached pending order with a requirement called `label`, and that requirement."""
    for order in Order.objects.filter(status="pending").order_by("-created_at"):
        for summary in requirement_summaries(detail=order_detail(order_id=order.pk)):
            if summary.label == label:
                return order, summary
    pytest.fail(f"the sandbox's seed has no pending order with {label!r}")


def form_data(order, **values) -> dict:
    """The requirements form as the page sends it: every field with its current value, then
    `values` (field name -> typed text)."""
    data = {"customer_reference": order.customer_reference}
    for summary in requirement_summaries(detail=order_detail(order_id=order.pk)):
        data[requirement_field_name(summary.requirement_id)] = summary.current_value
    return data | values


def telnyx_order(order: Order, **changes) -> dict:
    """A cached order (order_factory's) as Telnyx sends it, its numbers and their values
    included, with `changes` to the order's own fields; one second newer than cached."""
    numbers = order.phone_numbers.prefetch_related("requirements")
    return {
        "id": str(order.pk),
        "record_type": "number_order",
        "status": order.status,
        "customer_reference": order.customer_reference,
        "phone_numbers_count": order.phone_numbers_count,
        "requirements_met": order.requirements_met,
        "created_at": order.created_at.isoformat(),
        "updated_at": (order.updated_at + timedelta(seconds=1)).isoformat(),
        "sub_number_orders_ids": [str(sub.id) for sub in order.sub_orders.all()],
        "phone_numbers": [
            {
                "id": str(number.telnyx_id),
                "record_type": "number_order_phone_number",
                "phone_number": number.phone_number,
                "country_code": number.country_code,
                "phone_number_type": number.phone_number_type,
                "sub_number_order_id": str(number.sub_order_id),
                "status": number.status,
                "requirements_met": number.requirements_met,
                "requirements_status": number.requirements_status,
                "regulatory_requirements": [
                    {
                        "requirement_id": str(value.requirement_id),
                        "field_type": value.field_type,
                        "field_value": value.field_value,
                        "status": value.status,
                    }
                    for value in number.requirements.all()
                ],
            }
            for number in numbers
        ],
    } | changes


def telnyx_sub_orders(order: Order, **changes) -> list[dict]:
    """A cached order's sub orders as Telnyx lists them, with `changes` to each."""
    return [
        {
            "id": str(sub.pk),
            "country_code": sub.country_code,
            "phone_number_type": sub.phone_number_type,
            "status": sub.status,
            "requirements_met": sub.requirements_met,
            "phone_numbers_count": sub.phone_numbers_count,
            "created_at": sub.created_at.isoformat(),
            "updated_at": (sub.updated_at + timedelta(seconds=1)).isoformat(),
        }
        | changes
        for sub in order.sub_orders.all()
    ]


def definition(label: str, field_type: str = "textual") -> RequirementDefinition:
    """A cached requirement definition (for order_factory's `definitions`)."""
    return RequirementDefinition.objects.create(
        id=uuid.uuid4(), label=label, field_type=field_type, synced_at=datetime.now(UTC)
    )


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


def cached_sub_order(status: str) -> SubOrder:
    """A cached sub order in `status` that has numbers (the sandbox's seed has them)."""
    sub_order = (
        SubOrder.objects.filter(status=status, phone_numbers__isnull=False)
        .select_related("order")
        .order_by("order__created_at", "pk")
        .first()
    )
    assert sub_order is not None, f"the sandbox's seed has no {status} sub order"
    return sub_order


def declined_thread() -> tuple[SubOrder, Comment]:
    """A cached pending sub order on which Telnyx declined a value, and its first unread
    comment saying why (the sandbox's seed has one; the sync caches its thread)."""
    comment = (
        Comment.objects.filter(
            commenter_type=CommenterType.ADMIN,
            read_at__isnull=True,
            body__startswith="We declined",
            record_id__in=SubOrder.objects.filter(status="pending").values("pk"),
        )
        .order_by("created_at", "pk")
        .first()
    )
    assert comment is not None, "the sandbox's seed has no unread decline on a pending order"
    return SubOrder.objects.select_related("order").get(pk=comment.record_id), comment


def pending_sub_order_with_group(country: str = "CH") -> tuple[SubOrder, RequirementGroup]:
    """A cached pending sub order of `country` and an approved cached group that fits it."""
    for sub_order in SubOrder.objects.filter(status="pending", country_code=country):
        group = RequirementGroup.objects.filter(
            country_code=country, phone_number_type=sub_order.phone_number_type, status="approved"
        ).first()
        if group is not None:
            return sub_order, group
    pytest.fail(f"the sandbox's seed has no pending {country} sub order with an approved group")


def sandbox_pending_requirement(box, field_type: str) -> tuple[dict, dict]:
    """A pending order in the sandbox `box` and a requirement item of `field_type` on one of its
    pending numbers."""
    for order in box.orders.values():
        if order["status"] != "pending":
            continue
        for number in order["phone_numbers"]:
            for item in number["regulatory_requirements"]:
                if item["field_type"] == field_type and number["status"] == "pending":
                    return order, item
    pytest.fail(f"the sandbox has no pending order with a {field_type} requirement")


def fieldset(body: str, summary) -> str:
    return re.search(
        rf'<fieldset class="requirement" id="fix-{summary.requirement_id}">.*?</fieldset>',
        body,
        re.DOTALL,
    )[0]


def patches(sandbox) -> list:
    """The PATCH requests the sandbox received."""
    return [request for request in sandbox.requests if request.method == "PATCH"]


# -- the sandbox's regulatory records (addresses, documents) ----------------------------------

PDF = files.pdf(["Electricity bill", "Anna Keller"])
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
NEW_ADDRESS = {
    "first_name": "Anna",
    "last_name": "Keller",
    "business_name": "Keller Treuhand AG",
    "street_address": "Bahnhofstrasse 12",
    "locality": "Zürich",
    "postal_code": "8001",
    "country_code": "CH",
    "customer_reference": "ACME Zürich",
}


class Api(requests.Session):
    """Authenticates like the dashboard; paths are below the sandbox's /v2."""

    def __init__(self, box):
        super().__init__()
        self.box = box
        self.headers["Authorization"] = f"Bearer {SANDBOX_KEY}"

    def request(self, method, path, *args, **kwargs):
        kwargs.setdefault("timeout", 10)
        return super().request(method, self.box.url + path, *args, **kwargs)


def errors(response) -> list[dict]:
    body = response.json()
    assert set(body) == {"errors"}, body
    return body["errors"]


def pointers(response) -> list[str]:
    return [error["source"]["pointer"] for error in errors(response)]


def upload(api, name: str, content: bytes, **data) -> requests.Response:
    return api.post("/documents", files={"file": (name, content)}, data=data)


# -- bulk fixes and the background worker ------------------------------------------------------


@dataclass
class QueueGroup:
    """A queue group made in the sandbox (see sandbox_queue_group), as the bulk fix page's GET
    parameters name it, and a value its requirement accepts."""

    customer_reference: str
    country: str
    number_type: str
    requirement_id: str
    order_ids: list[str]
    value: str

    @property
    def params(self) -> dict[str, str]:
        return {
            "customer_reference": self.customer_reference,
            "country": self.country,
            "number_type": self.number_type,
            "requirement": self.requirement_id,
        }


def sandbox_queue_group(box, *, size: int, reference: str = "BULK-TEST") -> QueueGroup:
    """`size` pending orders in the sandbox waiting on one "Customer type" value (copies of one
    such order), for a bulk fix; sync afterwards to cache them."""
    from sandbox.copies import orders_waiting_on

    waiting = orders_waiting_on(
        box, label="Customer type", count=size, customer_reference=reference
    )
    return QueueGroup(
        customer_reference=waiting.customer_reference,
        country=waiting.country,
        number_type=waiting.number_type,
        requirement_id=waiting.requirement_id,
        order_ids=waiting.order_ids,
        value="individual" if waiting.field_value == "business" else "business",
    )


def run_tasks() -> int:
    """Runs the background tasks that are due, in this process and one by one, as a
    `manage.py db_worker` would; answers how many ran."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="tests",
        excluded_queue_names=[],
    )
    ran = 0
    while (due := DBTaskResult.objects.ready().first()) is not None:
        due.claim(worker.worker_id)
        worker.run_task(due)
        ran += 1
    return ran
