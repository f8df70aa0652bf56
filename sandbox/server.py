"""A stateful fake of the Telnyx number-order endpoints, over real HTTP on loopback.

`Sandbox` answers exactly Telnyx's JSON (see `sandbox.data` for the records), keeps every write,
and can misbehave on demand through `box.faults` (or `POST /_sandbox/faults` from another
process): added latency, random 500s, bursts of 429s and per-order timeouts, 500s, 404s or
malformed bodies. Every API request is recorded in `box.requests` for the contract tests.

Orders also move on their own: `complete_order()` (or every `advance_every` seconds, the oldest
pending order) fulfils one, and an order leaving `pending` is announced to `webhook_url` with a
signed `number_order.complete` event (see `sandbox.webhooks`).

Only the standard library (and `cryptography` for the signatures): the dashboard's code must
never leak in here.
"""

import contextlib
import hmac
import json
import math
import random
import re
import socket
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox import data, webhooks

API_PREFIX = "/v2"
CONTROL_PREFIX = "/_sandbox"
# Longer than any client waits; stop() cuts it short.
TIMEOUT_FAULT_SECONDS = 30.0
ORDER_FAULTS = ("timeout", "500", "malformed", "404")
MAX_RECORDED = 10_000
PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX = 20, 250
SUB_ORDER_NUMBERS_SHOWN = 50
RATE_LIMIT = 100
ERROR_DOCS = "https://developers.telnyx.com/docs/overview/errors/{}"
# How long stop() may wait for the serving loop to notice (tests stop a sandbox per test).
POLL_SECONDS = 0.02


class ApiError(Exception):
    """An answer in Telnyx's error format: `{"errors": [{code, title, detail, source, meta}]}`."""

    def __init__(self, status: int, errors: list[dict], headers: dict[str, str] | None = None):
        super().__init__(errors[0]["detail"])
        self.status = status
        self.errors = errors
        self.headers = headers or {}

    @classmethod
    def one(cls, status, code, title, detail, *, pointer=None, parameter=None, headers=None):
        return cls(
            status, [error(code, title, detail, pointer=pointer, parameter=parameter)], headers
        )


def error(code: str, title: str, detail: str, *, pointer=None, parameter=None) -> dict:
    item = {"code": code, "title": title, "detail": detail}
    if pointer is not None:
        item["source"] = {"pointer": pointer}
    elif parameter is not None:
        item["source"] = {"parameter": parameter}
    item["meta"] = {"url": ERROR_DOCS.format(code)}
    return item


def not_found() -> ApiError:
    return ApiError.one(
        404, "10005", "Resource not found", "The requested resource or URL could not be found."
    )


def bad_parameter(parameter: str, detail: str) -> ApiError:
    return ApiError.one(400, "10015", "Bad Request", detail, parameter=parameter)


def invalid_value(pointer: str, detail: str) -> dict:
    return error("10015", "Invalid value", detail, pointer=pointer)


@dataclass
class Faults:
    """Misbehaviour on demand; tests set the attributes directly, other processes POST them."""

    latency: float = 0.0  # seconds added to every API request
    error_rate: float = 0.0  # fraction of API requests answering 500
    rate_limit_burst: int = 0  # the next N API requests answer 429
    rate_limit_reset: int = 1  # seconds announced in x-ratelimit-reset
    order_faults: dict[str, str] = field(default_factory=dict)  # order id -> ORDER_FAULTS item

    def update(self, changes: dict) -> None:
        """Applies `{"latency": 0.1, "order_faults": {"<id>": "timeout" | null}, ...}`."""
        numbers = {"latency": (float, 0, None), "error_rate": (float, 0, 1)}
        numbers |= {"rate_limit_burst": (int, 0, None), "rate_limit_reset": (int, 0, None)}
        for key, value in changes.items():
            if key == "order_faults":
                if not isinstance(value, dict) or any(
                    kind is not None and kind not in ORDER_FAULTS for kind in value.values()
                ):
                    raise ValueError(f"order_faults maps order ids to one of {ORDER_FAULTS}")
                continue
            if key not in numbers:
                raise ValueError(f"unknown fault {key!r}")
            kind, low, high = numbers[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key} must be a number")
            if value < low or (high is not None and value > high) or kind(value) != value:
                raise ValueError(f"{key} is out of range")
        for key, value in changes.items():
            if key == "order_faults":
                for order_id, kind in value.items():
                    if kind is None:
                        self.order_faults.pop(order_id, None)
                    else:
                        self.order_faults[order_id] = kind
            else:
                setattr(self, key, value)


@dataclass
class RecordedRequest:
    method: str
    path: str  # as sent, without the query string, e.g. "/v2/number_orders"
    query: dict[str, str]
    body: Any  # the parsed JSON body, None when there was none (or it was not JSON)
    headers: dict[str, str]  # names lower-cased
    status: int | None = None  # what the sandbox answered; None when it never did


@dataclass
class _Reply:
    status: int
    payload: bytes
    headers: dict[str, str] = field(default_factory=dict)


_ROUTES = [
    ("GET", r"/number_orders", "list_orders"),
    ("GET", r"/number_orders/([^/]+)", "get_order"),
    ("PATCH", r"/number_orders/([^/]+)", "update_order"),
    ("GET", r"/sub_number_orders", "list_sub_orders"),
    ("GET", r"/sub_number_orders/([^/]+)", "get_sub_order"),
    ("PATCH", r"/sub_number_orders/([^/]+)/cancel", "cancel_sub_order"),
    ("GET", r"/number_order_phone_numbers", "list_phone_numbers"),
    ("GET", r"/number_order_phone_numbers/([^/]+)", "get_phone_number"),
    ("GET", r"/phone_numbers_regulatory_requirements", "list_requirements"),
]
_ROUTES = [(method, re.compile(pattern), name) for method, pattern, name in _ROUTES]


class Sandbox:
    """See the module docstring; `start()`/`stop()` in tests, `serve_forever()` from the CLI."""

    def __init__(
        self,
        *,
        orders: int = 20,
        seed: int = 7,
        api_key: str = "sandbox-key",
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        error_rate: float = 0.0,
        webhook_url: str | None = None,
        advance_every: float | None = None,
        webhook_private_key: str | None = None,
        webhook_backoff: float = 1.0,
        base_date: datetime = data.BASE_DATE,
        verbose: bool = False,
    ):
        world = data.generate(orders=orders, seed=seed, base_date=base_date)
        self.orders: dict[str, dict] = world.orders
        self.sub_orders: dict[str, dict] = world.sub_orders
        self.catalogue: dict[tuple[str, str], list[dict]] = world.catalogue
        # requirement id -> definition, as /phone_numbers_regulatory_requirements shows it
        self.definitions = {d["id"]: d for defs in self.catalogue.values() for d in defs}
        self.faults = Faults(latency=latency, error_rate=error_rate)
        self.requests: list[RecordedRequest] = []
        self.api_key = api_key
        self.host = host
        self.port = port
        self.webhook_url = webhook_url
        self.advance_every = advance_every
        self.verbose = verbose
        self._numbers = {n["id"]: n for o in self.orders.values() for n in o["phone_numbers"]}
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._fault_rng = random.Random(seed)
        self._last_write = base_date
        self._server: _Server | None = None
        self._serving: threading.Thread | None = None
        self._advancing: threading.Thread | None = None
        signer = webhooks.signing_key(seed, webhook_private_key)
        self.public_key_b64 = webhooks.public_key_b64(signer)
        self._webhooks = (
            webhooks.WebhookSender(webhook_url, signer, backoff=webhook_backoff)
            if webhook_url
            else None
        )

    @property
    def webhook_deliveries(self) -> list[webhooks.Delivery]:
        """Every delivery attempt so far, in the order they were made."""
        return list(self._webhooks.deliveries) if self._webhooks else []

    # -- life cycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{API_PREFIX}"

    def start(self) -> "Sandbox":
        """Serves in a background thread; returns once the port is open."""
        self._open()
        self._serving = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
        )
        self._serving.start()
        return self

    def serve_forever(self, ready: Callable[["Sandbox"], None] | None = None) -> None:
        """Serves in this thread until interrupted (Ctrl-C); `ready(box)` once the port is open."""
        self._open()
        if ready:
            ready(self)
        try:
            self._server.serve_forever(poll_interval=POLL_SECONDS)
        finally:
            self._close()

    def stop(self) -> None:
        if self._serving:
            self._server.shutdown()
            self._serving.join()
            self._serving = None
        self._close()

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _open(self) -> None:
        self._stopping.clear()
        self._server = _Server(self, (self.host, self.port))
        self.port = self._server.server_address[1]
        if self._webhooks:
            self._webhooks.start()
        if self.advance_every:
            self._advancing = threading.Thread(target=self._advance, daemon=True)
            self._advancing.start()

    def _close(self) -> None:
        self._stopping.set()  # wakes requests sleeping on latency or a timeout fault
        if self._server:
            self._server.server_close()
            self._server.drop_connections()
        if self._advancing:
            self._advancing.join()
            self._advancing = None
        if self._webhooks:
            self._webhooks.stop()

    def _advance(self) -> None:
        """Every `advance_every` seconds the oldest pending order completes."""
        while not self._stopping.wait(self.advance_every):
            with self._lock:
                pending = [o for o in self.orders.values() if o["status"] == "pending"]
                if pending:
                    oldest = min(pending, key=lambda order: (order["created_at"], order["id"]))
                    self.complete_order(oldest["id"])

    # -- HTTP plumbing -------------------------------------------------------------------------

    def _handle(self, handler: "_Handler") -> None:
        split = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in handler.headers.items()}
        method, path = handler.command, split.path
        record = None
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            record = RecordedRequest(method, path, query, _parse_json(raw), headers)
            with self._lock:
                self.requests.append(record)
                if len(self.requests) > MAX_RECORDED:
                    del self.requests[: MAX_RECORDED // 2]
        try:
            if record is not None:
                reply = self._api(method, path.removeprefix(API_PREFIX), query, raw, headers)
            elif path.startswith(CONTROL_PREFIX + "/"):
                reply = self._control(method, path.removeprefix(CONTROL_PREFIX), raw, headers)
            else:
                raise not_found()
        except ApiError as failure:
            payload = json.dumps({"errors": failure.errors}).encode()
            reply = _Reply(failure.status, payload, failure.headers)
        except Exception:
            # A bug in the sandbox: say so loudly, but answer like Telnyx would.
            traceback.print_exc()
            failure = _unexpected()
            reply = _Reply(500, json.dumps({"errors": failure.errors}).encode())
        if reply is None:  # a timeout fault: hang up without a word
            handler.close_connection = True
            return
        if record is not None:
            record.status = reply.status
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(reply.payload)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(reply.payload)

    def _authenticate(self, headers: dict[str, str]) -> None:
        expected = f"Bearer {self.api_key}".encode()
        if not hmac.compare_digest(headers.get("authorization", "").encode(), expected):
            raise ApiError.one(
                401,
                "10009",
                "Authentication failed",
                "The required authentication headers were either invalid or not included in "
                "the request.",
            )

    def _api(self, method, path, query, raw, headers) -> _Reply | None:
        if self.faults.latency:
            self._stopping.wait(self.faults.latency)
        self._authenticate(headers)
        with self._lock:
            if self.faults.rate_limit_burst > 0:
                self.faults.rate_limit_burst -= 1
                raise ApiError.one(
                    429,
                    "10011",
                    "Too many requests",
                    "You have exceeded the maximum number of allowed requests.",
                    headers={
                        "x-ratelimit-limit": str(RATE_LIMIT),
                        "x-ratelimit-remaining": "0",
                        "x-ratelimit-reset": str(self.faults.rate_limit_reset),
                    },
                )
            if self.faults.error_rate and self._fault_rng.random() < self.faults.error_rate:
                raise _unexpected()
        name, args = _route(method, path)
        order_id = self._order_concerned(name, args, query)
        fault = self.faults.order_faults.get(order_id) if order_id else None
        if fault == "timeout":
            self._stopping.wait(TIMEOUT_FAULT_SECONDS)
            return None
        if fault == "500":
            raise _unexpected()
        if fault == "404":
            raise not_found()
        if fault == "malformed":
            return _Reply(200, b'{"data": {"id": "' + order_id.encode() + b'", "status": "pen')
        with self._lock:
            body = getattr(self, f"_{name}")(query, raw, *args)
            return _Reply(200, json.dumps(body, ensure_ascii=False).encode())

    def _order_concerned(self, name: str, args: tuple, query: dict) -> str | None:
        """The order a request is about, for per-order faults."""
        if name in ("get_order", "update_order"):
            return args[0]
        if name in ("get_sub_order", "cancel_sub_order"):
            sub_order = self.sub_orders.get(args[0])
            return sub_order and sub_order["order_request_id"]
        if name == "get_phone_number":
            number = self._numbers.get(args[0])
            return number and number["order_request_id"]
        if name == "list_sub_orders":
            return query.get("filter[order_request_id]")
        return None

    def _control(self, method, path, raw, headers) -> _Reply:
        self._authenticate(headers)
        if path == "/faults" and method in ("GET", "POST"):
            if method == "POST":
                changes = _parse_json(raw)
                if not isinstance(changes, dict):
                    raise ApiError.one(
                        400, "10015", "Bad Request", "Send a JSON object.", pointer="/"
                    )
                try:
                    with self._lock:
                        self.faults.update(changes)
                except ValueError as problem:
                    raise ApiError.one(400, "10015", "Bad Request", str(problem)) from None
            return _Reply(200, json.dumps({"data": asdict(self.faults)}).encode())
        if path == "/requests" and method == "GET":
            return _Reply(200, json.dumps({"data": self.request_summary()}).encode())
        completing = re.fullmatch(r"/orders/([^/]+)/complete", path)
        if completing and method == "POST":
            try:
                with self._lock:
                    order = self.complete_order(completing[1])
                    return _Reply(200, json.dumps({"data": order}).encode())
            except KeyError:
                raise not_found() from None
            except ValueError as problem:
                raise ApiError.one(422, "10015", "Invalid state", str(problem)) from None
        raise not_found()

    def request_summary(self, recent: int = 20) -> dict:
        """What `GET /_sandbox/requests` answers: counts by route and status, the latest few."""
        with self._lock:
            held = list(self.requests)
        return {
            "total": len(held),
            "by_route": dict(Counter(f"{r.method} {_template(r.path)}" for r in held)),
            "by_status": dict(Counter(str(r.status) for r in held)),
            "recent": [
                {"method": r.method, "path": r.path, "query": r.query, "status": r.status}
                for r in held[-recent:]
            ],
        }

    # -- reads ---------------------------------------------------------------------------------

    def _order(self, order_id: str) -> dict:
        try:
            return self.orders[order_id]
        except KeyError:
            raise not_found() from None

    def _sub_order(self, sub_order_id: str) -> dict:
        try:
            return self.sub_orders[sub_order_id]
        except KeyError:
            raise not_found() from None

    def _list_orders(self, query: dict, raw: bytes) -> dict:
        orders = list(self.orders.values())
        if "filter[status]" in query:
            orders = [o for o in orders if o["status"] == query["filter[status]"]]
        for bound, keep in (("gt", lambda a, b: a > b), ("lt", lambda a, b: a < b)):
            parameter = f"filter[created_at][{bound}]"
            if parameter in query:
                moment = _moment(query, parameter)
                orders = [o for o in orders if keep(data.parse_iso(o["created_at"]), moment)]
        if "filter[phone_numbers_count]" in query:
            count = _integer(query, "filter[phone_numbers_count]", minimum=0)
            orders = [o for o in orders if o["phone_numbers_count"] == count]
        if "filter[customer_reference]" in query:
            reference = query["filter[customer_reference]"]
            orders = [o for o in orders if o["customer_reference"] == reference]
        if "filter[requirements_met]" in query:
            met = _boolean(query, "filter[requirements_met]")
            orders = [o for o in orders if o["requirements_met"] == met]
        page = _page(query, orders)
        page["data"] = [_order_summary(order) for order in page["data"]]
        return page

    def _get_order(self, query: dict, raw: bytes, order_id: str) -> dict:
        return {"data": self._order(order_id)}

    def _list_sub_orders(self, query: dict, raw: bytes) -> dict:
        if "filter[order_request_id]" in query:
            # Through the order's own list: scanning every sub order on each request (a sync
            # asks once per order) made the sandbox slower the more orders it held.
            order = self.orders.get(query["filter[order_request_id]"])
            ids = order["sub_number_orders_ids"] if order else []
            sub_orders = [self.sub_orders[sub_id] for sub_id in ids]
        else:
            sub_orders = list(self.sub_orders.values())
        for key in ("status", "order_request_id", "country_code", "phone_number_type"):
            if f"filter[{key}]" in query:
                sub_orders = [s for s in sub_orders if s[key] == query[f"filter[{key}]"]]
        if "filter[phone_numbers_count]" in query:
            count = _integer(query, "filter[phone_numbers_count]", minimum=0)
            sub_orders = [s for s in sub_orders if s["phone_numbers_count"] == count]
        return _page(query, sub_orders)

    def _get_sub_order(self, query: dict, raw: bytes, sub_order_id: str) -> dict:
        sub_order = self._sub_order(sub_order_id)
        if not _boolean(query, "filter[include_phone_numbers]", default=False):
            return {"data": sub_order}
        numbers = self._numbers_of(sub_order)[:SUB_ORDER_NUMBERS_SHOWN]
        return {"data": {**sub_order, "phone_numbers": numbers}}

    def _numbers_of(self, sub_order: dict) -> list[dict]:
        order = self.orders[sub_order["order_request_id"]]
        return [n for n in order["phone_numbers"] if n["sub_number_order_id"] == sub_order["id"]]

    def _list_phone_numbers(self, query: dict, raw: bytes) -> dict:
        numbers = list(self._numbers.values())
        if "filter[country_code]" in query:
            numbers = [n for n in numbers if n["country_code"] == query["filter[country_code]"]]
        return _page(query, numbers)

    def _get_phone_number(self, query: dict, raw: bytes, number_id: str) -> dict:
        try:
            return {"data": self._numbers[number_id]}
        except KeyError:
            raise not_found() from None

    def _list_requirements(self, query: dict, raw: bytes) -> dict:
        wanted = query.get("filter[phone_number]", "")
        if not wanted.strip():
            raise ApiError.one(
                400,
                "10004",
                "Missing required parameter",
                "filter[phone_number] lists the phone numbers, separated by commas.",
                parameter="filter[phone_number]",
            )
        answers = []
        for text in wanted.split(","):
            # An unencoded '+' in a query string reads as a space.
            phone_number = "+" + text.strip().lstrip("+")
            found = data.classify(phone_number)
            if found is None:
                raise ApiError.one(
                    400,
                    "10016",
                    "Phone number must be in +E.164 format",
                    f"{text.strip()!r} is not a phone number Telnyx offers.",
                    parameter="filter[phone_number]",
                )
            country, number_type, _ = found
            answers.append(
                {
                    "phone_number": phone_number,
                    "phone_number_type": number_type,
                    "record_type": "phone_number_regulatory_requirements",
                    "region_information": [{"region_type": "country_code", "region_name": country}],
                    "regulatory_requirements": self.catalogue[country, number_type],
                }
            )
        return {"data": answers, "meta": _meta(1, len(answers), len(answers))}

    # -- writes --------------------------------------------------------------------------------

    def _stamp(self) -> str:
        """A write's updated_at: now, yet always later than every earlier one."""
        now = max(datetime.now(UTC), self._last_write + timedelta(microseconds=1))
        self._last_write = now
        return data.iso(now)

    def _update_order(self, query: dict, raw: bytes, order_id: str) -> dict:
        order = self._order(order_id)
        body = _parse_json(raw)
        if not isinstance(body, dict):
            raise ApiError.one(
                400, "10015", "Bad Request", "The request body must be a JSON object.", pointer="/"
            )
        reference, values = self._validated_update(order, body)
        touched = set()
        if reference is not None:
            order["customer_reference"] = reference
            touched.update(order["sub_number_orders_ids"])
        for requirement_id, value in values:
            for number in _open_numbers(order):
                for item in number["regulatory_requirements"]:
                    if item["requirement_id"] == requirement_id:
                        item["field_value"], item["status"] = value, "pending-approval"
                        touched.add(number["sub_number_order_id"])
        stamp = self._stamp()
        for number in order["phone_numbers"]:
            data.rollup_number(number)
        for sub_order_id in touched:
            sub_order = self.sub_orders[sub_order_id]
            if reference is not None:
                sub_order["customer_reference"] = reference
            data.rollup_sub_order(sub_order, self._numbers_of(sub_order))
            sub_order["updated_at"] = stamp
        self._rollup(order, stamp)
        return {"data": order}

    def _validated_update(self, order: dict, body: dict) -> tuple[str | None, list]:
        """(new customer reference or None, [(requirement id, value)]), or a 422 naming each
        offending field."""
        problems = []
        reference = body.get("customer_reference")
        if reference is not None and not isinstance(reference, str):
            problems.append(invalid_value("/customer_reference", "Must be a string."))
        requested = body.get("regulatory_requirements", [])
        if not isinstance(requested, list):
            requested = []
            problems.append(invalid_value("/regulatory_requirements", "Must be a list."))
        applicable = {
            item["requirement_id"]
            for number in _open_numbers(order)
            for item in number["regulatory_requirements"]
        }
        values = []
        for index, item in enumerate(requested):
            pointer = f"/regulatory_requirements/{index}"
            if not isinstance(item, dict):
                problems.append(invalid_value(pointer, "Must be an object."))
                continue
            requirement_id, value = item.get("requirement_id"), item.get("field_value")
            if requirement_id not in applicable:
                problems.append(
                    invalid_value(
                        f"{pointer}/requirement_id",
                        f"{requirement_id!r} is not a requirement of this order's open numbers.",
                    )
                )
                continue
            if not isinstance(value, str):
                problems.append(invalid_value(f"{pointer}/field_value", "Must be a string."))
                continue
            reason = data.validate_value(self.definitions[requirement_id], value)
            if reason:
                problems.append(invalid_value(f"{pointer}/field_value", reason))
                continue
            values.append((requirement_id, value))
        if problems:
            raise ApiError(422, problems)
        return reference, values

    def _cancel_sub_order(self, query: dict, raw: bytes, sub_order_id: str) -> dict:
        sub_order = self._sub_order(sub_order_id)
        if sub_order["status"] != "pending":
            raise ApiError.one(
                422,
                "10015",
                "Invalid state",
                "Only pending sub number orders can be cancelled; this one is "
                f"{sub_order['status']}.",
                pointer="/status",
            )
        stamp = self._stamp()
        sub_order["status"] = "failure"
        sub_order["updated_at"] = stamp
        for number in self._numbers_of(sub_order):
            number["status"] = "failure"
            number["requirements_status"] = "cancelled"
        self._rollup(self.orders[sub_order["order_request_id"]], stamp)
        return {"data": sub_order}

    def _rollup(self, order: dict, stamp: str) -> None:
        """Order flags and status from its sub orders; a number_order.complete event when that
        ends the order's pending life."""
        was = order["status"]
        subs = [self.sub_orders[sub_id] for sub_id in order["sub_number_orders_ids"]]
        data.rollup_order(order, subs)
        order["updated_at"] = stamp
        if was == "pending" and order["status"] != "pending" and self._webhooks:
            self._webhooks.send("number_order.complete", order)

    def complete_order(self, order_id: str) -> dict:
        """Telnyx fulfils a pending order: its pending sub orders and numbers succeed (their
        requirements stay as they are). Answers the order; KeyError / ValueError otherwise."""
        with self._lock:
            order = self.orders[order_id]
            if order["status"] != "pending":
                raise ValueError(f"order {order_id} is {order['status']}, not pending")
            stamp = self._stamp()
            for sub_id in order["sub_number_orders_ids"]:
                sub_order = self.sub_orders[sub_id]
                if sub_order["status"] == "pending":
                    sub_order["status"], sub_order["updated_at"] = "success", stamp
                    for number in self._numbers_of(sub_order):
                        number["status"] = "success"
            self._rollup(order, stamp)
            return order


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, box: Sandbox, address: tuple[str, int]):
        self.box = box
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def drop_connections(self) -> None:
        """Hangs up kept-alive connections so that no handler thread outlives stop()."""
        with self.connections_lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request, client_address) -> None:
        # A client hanging up (as they do on timeouts) is not worth a traceback.
        if self.box.verbose or not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as requests.Session expects
    # Headers and body go out in separate writes; with Nagle on, each kept-alive answer would
    # wait for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server_version = "TelnyxSandbox/1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self.server.box._handle(self)

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def log_message(self, format: str, *args) -> None:
        if self.server.box.verbose:
            super().log_message(format, *args)


# -- helpers -----------------------------------------------------------------------------------


def _route(method: str, path: str) -> tuple[str, tuple]:
    allowed = False
    for route_method, pattern, name in _ROUTES:
        match = pattern.fullmatch(path)
        if match and route_method == method:
            return name, match.groups()
        allowed = allowed or bool(match)
    if allowed:
        raise ApiError.one(
            405, "10015", "Bad Request", f"{method} is not supported on {API_PREFIX}{path}."
        )
    raise not_found()


def _template(path: str) -> str:
    return re.sub(r"/[0-9a-f]{8}-[0-9a-f-]{27}", "/{id}", path)


def _unexpected() -> ApiError:
    return ApiError.one(500, "10007", "Unexpected error", "An unexpected error occured.")


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _order_summary(order: dict) -> dict:
    """An order as lists show it: phone numbers cut down to id and number."""
    short = [{"id": n["id"], "phone_number": n["phone_number"]} for n in order["phone_numbers"]]
    return {**order, "phone_numbers": short}


def _open_numbers(order: dict) -> list[dict]:
    return [n for n in order["phone_numbers"] if n["requirements_status"] != "cancelled"]


def _meta(page_number: int, page_size: int, total: int) -> dict:
    return {
        "page_number": page_number,
        "page_size": page_size,
        "total_pages": math.ceil(total / page_size) if page_size else 0,
        "total_results": total,
    }


def _page(query: dict, items: list) -> dict:
    number = _integer(query, "page[number]", minimum=1, default=1)
    size = _integer(
        query, "page[size]", minimum=1, maximum=PAGE_SIZE_MAX, default=PAGE_SIZE_DEFAULT
    )
    return {
        "data": items[(number - 1) * size : number * size],
        "meta": _meta(number, size, len(items)),
    }


def _integer(query, parameter, *, minimum=None, maximum=None, default=None) -> int:
    text = query.get(parameter)
    if text is None and default is not None:
        return default
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise bad_parameter(parameter, f"{parameter} must be an integer.") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum else f"at least {minimum}"
        raise bad_parameter(parameter, f"{parameter} must be {bounds}.")
    return value


def _boolean(query, parameter, *, default=None) -> bool:
    text = query.get(parameter)
    if text is None and default is not None:
        return default
    if text in ("true", "false"):
        return text == "true"
    raise bad_parameter(parameter, f"{parameter} must be true or false.")


def _moment(query, parameter) -> datetime:
    try:
        return data.parse_iso(query[parameter])
    except ValueError:
        raise bad_parameter(parameter, f"{parameter} must be an ISO 8601 date-time.") from None
