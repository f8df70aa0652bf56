"""A stateful fake of the Telnyx API the dashboard uses, over real HTTP on loopback.

`Sandbox` answers exactly Telnyx's JSON for number orders, sub orders and their phone numbers
(see `sandbox.data`), and for the paperwork behind requirement values: addresses, documents,
requirement groups and comments (see `sandbox.paperwork`). It keeps every write, and can
misbehave on demand through `box.faults` (or `POST /_sandbox/faults` from another process): added
latency, random 500s, bursts of 429s and per-order timeouts, 500s, 404s or malformed bodies. Every
API request is recorded in `box.requests` for the contract tests.

Orders also move on their own: `complete_order()` (or every `advance_every` seconds, the oldest
pending order) fulfils one, and an order leaving `pending` is announced to `webhook_url` with a
signed `number_order.complete` event (see `sandbox.webhooks`). Telnyx's reviewers work on the
sandbox's clock (see `sandbox.review`), which `advance_clock()` (or `POST /_sandbox/clock`) moves
forward: uploads are verified or denied, unlinked ones deleted, written values approved or
declined.

Only the standard library (and `cryptography` for the signatures): the dashboard's code must
never leak in here.
"""

import random
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sandbox import (
    addresses,
    comments,
    data,
    documents,
    number_orders,
    requirement_groups,
    webhooks,
)
from sandbox.clock import Clock, iso
from sandbox.faults import Faults
from sandbox.http import RecordedRequest, Server
from sandbox.review import Reviewers
from sandbox.routes import API_PREFIX, Router

ROUTER = Router(
    number_orders.ROUTES
    + addresses.ROUTES
    + documents.ROUTES
    + requirement_groups.ROUTES
    + comments.ROUTES
)
# How long stop() may wait for the serving loop to notice (tests stop a sandbox per test).
POLL_SECONDS = 0.02


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
        # phone number id -> its entry in its order
        self.numbers = {n["id"]: n for o in self.orders.values() for n in o["phone_numbers"]}
        paperwork = world.paperwork
        self.addresses: dict[str, dict] = paperwork.addresses
        self.documents: dict[str, dict] = paperwork.documents
        self.files: dict[str, bytes] = paperwork.files  # document id -> content
        self.denials: dict[str, str] = paperwork.denials  # document id -> why it was denied
        self.requirement_groups: dict[str, dict] = paperwork.requirement_groups
        self.comments: dict[str, dict] = paperwork.comments
        # Documents a requirement value refers to (or did): they are never deleted.
        self.linked_documents = set(self.documents)
        self.clock = Clock()
        self.reviewers = Reviewers(self)
        self.faults = Faults(latency=latency, error_rate=error_rate)
        self.requests: list[RecordedRequest] = []
        self.router = ROUTER
        self.api_key = api_key
        self.host = host
        self.port = port
        self.webhook_url = webhook_url
        self.advance_every = advance_every
        self.verbose = verbose
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.fault_rng = random.Random(seed)
        self._last_write = base_date
        self._server: Server | None = None
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
        self.stopping.clear()
        self._server = Server(self, (self.host, self.port))
        self.port = self._server.server_address[1]
        if self._webhooks:
            self._webhooks.start()
        if self.advance_every:
            self._advancing = threading.Thread(target=self._advance, daemon=True)
            self._advancing.start()

    def _close(self) -> None:
        self.stopping.set()  # wakes requests sleeping on latency or a timeout fault
        if self._server:
            self._server.server_close()
            self._server.drop_connections()
        if self._advancing:
            self._advancing.join()
            self._advancing = None
        if self._webhooks:
            self._webhooks.stop()

    def _advance(self) -> None:
        """Every `advance_every` seconds the oldest pending order completes (and the reviewers
        do what has fallen due)."""
        while not self.stopping.wait(self.advance_every):
            with self.lock:
                self.reviewers.run_due()
                pending = [o for o in self.orders.values() if o["status"] == "pending"]
                if pending:
                    oldest = min(pending, key=lambda order: (order["created_at"], order["id"]))
                    self.complete_order(oldest["id"])

    def advance_clock(self, by: timedelta) -> str:
        """Moves the sandbox's clock forward and lets the reviewers catch up: half an hour
        passes at once. Answers the new time."""
        with self.lock:
            self.clock.advance(by)
            self.reviewers.run_due()
            return iso(self.clock.now())

    # -- what every write needs ----------------------------------------------------------------

    def stamp(self) -> str:
        """A write's updated_at: now, yet always later than every earlier one."""
        now = max(self.clock.now(), self._last_write + timedelta(microseconds=1))
        self._last_write = now
        return iso(now)

    def new_id(self) -> str:
        return str(uuid.uuid4())

    def numbers_of(self, sub_order: dict) -> list[dict]:
        order = self.orders[sub_order["order_request_id"]]
        return [n for n in order["phone_numbers"] if n["sub_number_order_id"] == sub_order["id"]]

    def rollup(self, order: dict, stamp: str) -> None:
        """Order flags and status from its sub orders; a number_order.complete event when that
        ends the order's pending life."""
        was = order["status"]
        subs = [self.sub_orders[sub_id] for sub_id in order["sub_number_orders_ids"]]
        data.rollup_order(order, subs)
        order["updated_at"] = stamp
        if was == "pending" and order["status"] != "pending" and self._webhooks:
            self._webhooks.send("number_order.complete", order)

    def settle(self, sub_order: dict, stamp: str) -> None:
        """After a write to a sub order or its numbers: their flags and dates, and the order's."""
        numbers = self.numbers_of(sub_order)
        for number in numbers:
            data.rollup_number(number)
        data.rollup_sub_order(sub_order, numbers)
        sub_order["updated_at"] = stamp
        self.rollup(self.orders[sub_order["order_request_id"]], stamp)

    def complete_order(self, order_id: str) -> dict:
        """Telnyx fulfils a pending order: its pending sub orders and numbers succeed (their
        requirements stay as they are). Answers the order; KeyError / ValueError otherwise."""
        with self.lock:
            order = self.orders[order_id]
            if order["status"] != "pending":
                raise ValueError(f"order {order_id} is {order['status']}, not pending")
            stamp = self.stamp()
            for sub_id in order["sub_number_orders_ids"]:
                sub_order = self.sub_orders[sub_id]
                if sub_order["status"] == "pending":
                    sub_order["status"], sub_order["updated_at"] = "success", stamp
                    for number in self.numbers_of(sub_order):
                        number["status"] = "success"
            self.rollup(order, stamp)
            return order
