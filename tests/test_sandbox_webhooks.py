"""The sandbox's order progression and its signed number_order.complete webhooks, checked by a
tiny local receiver the way the dashboard's endpoint will check them."""

import base64
import json
import os
import queue
import subprocess
import sys
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sandbox.server import Sandbox
from sandbox.webhooks import public_key_b64, signing_key
from tests.helpers import eventually

REPO = Path(__file__).resolve().parents[1]
WAIT = 10  # seconds a test waits for a delivery before failing; never a timing assertion


class Receiver:
    """Answers each POST with the next status from `statuses` (then 200) and queues it."""

    def __init__(self, statuses=(), hold: threading.Event | None = None):
        self.statuses = list(statuses)
        self.received: queue.Queue = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hold is not None:
                    hold.wait(WAIT)
                receiver.received.put((self.headers, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/telnyx/"
        serving = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        serving.start()

    def next(self) -> tuple[Message, bytes, dict]:
        headers, body = self.received.get(timeout=WAIT)
        return headers, body, json.loads(body)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def box(receiver):
    with Sandbox(
        orders=20, seed=7, api_key="k", webhook_url=receiver.url, webhook_backoff=0.01
    ) as box:
        yield box


def _verify(public_key: str, headers: Message, body: bytes) -> None:
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
    signed = headers["telnyx-timestamp"].encode() + b"|" + body
    key.verify(base64.b64decode(headers["telnyx-signature-ed25519"]), signed)


def _pending(box: Sandbox) -> list[dict]:
    return sorted(
        (o for o in box.orders.values() if o["status"] == "pending"),
        key=lambda order: order["created_at"],
    )


def test_completing_an_order_sends_a_signed_number_order_complete_event(box, receiver):
    order = _pending(box)[0]
    before = order["updated_at"]
    completed = box.complete_order(order["id"])
    headers, body, event = receiver.next()
    _verify(box.public_key_b64, headers, body)
    assert headers["Content-Type"] == "application/json"
    assert headers["telnyx-timestamp"].isdigit()
    assert event["data"]["event_type"] == "number_order.complete"
    assert event["data"]["record_type"] == "event"
    assert event["data"]["occurred_at"].endswith("Z")
    assert event["meta"] == {"attempt": 1, "delivered_to": receiver.url}
    payload = event["data"]["payload"]
    assert payload == completed
    assert payload["status"] == "success" and payload["updated_at"] > before
    assert {n["status"] for n in payload["phone_numbers"]} == {"success"}
    assert payload["phone_numbers"][0]["regulatory_requirements"] is not None
    for sub_id in payload["sub_number_orders_ids"]:
        assert box.sub_orders[sub_id]["status"] == "success"


def test_completion_leaves_requirement_values_as_they_were(box, receiver):
    order = next(o for o in _pending(box) if not o["requirements_met"])
    values = json.dumps([n["regulatory_requirements"] for n in order["phone_numbers"]])
    box.complete_order(order["id"])
    assert json.dumps([n["regulatory_requirements"] for n in order["phone_numbers"]]) == values
    assert not order["requirements_met"]


def test_a_tampered_body_or_another_key_fails_verification(box, receiver):
    box.complete_order(_pending(box)[0]["id"])
    headers, body, _ = receiver.next()
    with pytest.raises(InvalidSignature):
        _verify(box.public_key_b64, headers, body.replace(b"success", b"failure", 1))
    with pytest.raises(InvalidSignature):
        _verify(public_key_b64(signing_key(8)), headers, body)


def test_delivery_other_than_200_is_retried_with_the_same_event_id(box, receiver):
    receiver.statuses = [500, 302]
    box.complete_order(_pending(box)[0]["id"])
    deliveries = [receiver.next() for _ in range(3)]
    assert len({event["data"]["id"] for _, _, event in deliveries}) == 1
    assert [event["meta"]["attempt"] for _, _, event in deliveries] == [1, 2, 3]
    for headers, body, _ in deliveries:
        _verify(box.public_key_b64, headers, body)
    eventually(lambda: len(box.webhook_deliveries) == 3, seconds=WAIT)
    assert [d.status for d in box.webhook_deliveries] == [500, 302, 200]
    assert box.webhook_deliveries[-1].retry_in is None


def test_delivery_gives_up_after_five_attempts(box, receiver):
    receiver.statuses = [503] * 10
    box.complete_order(_pending(box)[0]["id"])
    attempts = [receiver.next()[2]["meta"]["attempt"] for _ in range(5)]
    assert attempts == [1, 2, 3, 4, 5]
    eventually(lambda: len(box.webhook_deliveries) == 5, seconds=WAIT)
    assert [d.retry_in is None for d in box.webhook_deliveries] == [False] * 4 + [True]
    delays = [d.retry_in for d in box.webhook_deliveries[:4]]
    assert delays == sorted(delays) and delays[0] < delays[-1]


def test_unreachable_receiver_is_retried_too():
    with Sandbox(orders=5, seed=1, webhook_url="http://127.0.0.1:9/", webhook_backoff=0.01) as box:
        box.complete_order(_pending(box)[0]["id"])
        eventually(lambda: len(box.webhook_deliveries) == 5, seconds=WAIT)
    assert [d.status for d in box.webhook_deliveries] == [None] * 5
    assert all(d.error for d in box.webhook_deliveries)


def test_delivery_happens_off_the_request_thread():
    hold = threading.Event()
    receiver = Receiver(hold=hold)
    try:
        with Sandbox(orders=20, seed=7, api_key="k", webhook_url=receiver.url) as box:
            sub = next(
                box.sub_orders[o["sub_number_orders_ids"][0]]
                for o in _pending(box)
                if len(o["sub_number_orders_ids"]) == 1
            )
            response = requests.patch(
                f"{box.url}/sub_number_orders/{sub['id']}/cancel",
                headers={"Authorization": "Bearer k"},
                timeout=WAIT / 2,
            )
            # Answered while the receiver is still holding the event's delivery.
            assert response.status_code == 200
            assert receiver.received.empty()
            hold.set()
            _, _, event = receiver.next()
            assert event["data"]["payload"]["id"] == sub["order_request_id"]
            assert event["data"]["payload"]["status"] == "failure"
    finally:
        hold.set()
        receiver.close()


def test_cancel_that_leaves_an_order_pending_sends_nothing(box, receiver):
    order = next(
        o for o in _pending(box)
        if sum(box.sub_orders[s]["status"] == "pending" for s in o["sub_number_orders_ids"]) > 1
    )  # fmt: skip
    sub_id = next(
        s for s in order["sub_number_orders_ids"] if box.sub_orders[s]["status"] == "pending"
    )
    response = requests.patch(
        f"{box.url}/sub_number_orders/{sub_id}/cancel",
        headers={"Authorization": "Bearer k"},
        timeout=5,
    )
    assert response.status_code == 200
    assert box.orders[order["id"]]["status"] == "pending"
    box.complete_order(order["id"])
    # Deliveries go out in order: an event for the cancel would have come first.
    _, _, event = receiver.next()
    assert event["data"]["payload"]["status"] == "success"
    assert event["data"]["payload"]["id"] == order["id"]


def test_complete_order_refuses_orders_that_are_not_pending(box, receiver):
    done = next(o for o in box.orders.values() if o["status"] == "success")
    with pytest.raises(ValueError, match="not pending"):
        box.complete_order(done["id"])
    with pytest.raises(KeyError):
        box.complete_order("00000000-0000-4000-8000-000000000000")
    assert not box.webhook_deliveries


def test_orders_can_be_completed_over_http(box, receiver):
    control = box.url.removesuffix("/v2") + "/_sandbox/orders"
    order = _pending(box)[0]
    auth = {"Authorization": "Bearer k"}
    response = requests.post(f"{control}/{order['id']}/complete", headers=auth, timeout=5)
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "success"
    again = requests.post(f"{control}/{order['id']}/complete", headers=auth, timeout=5)
    assert again.status_code == 422
    assert receiver.next()[2]["data"]["payload"]["id"] == order["id"]


def test_advance_every_completes_the_oldest_pending_orders_first(receiver):
    box = Sandbox(orders=20, seed=7, webhook_url=receiver.url, advance_every=0.05)
    oldest = [order["id"] for order in _pending(box)[:2]]
    with box:
        completed = [receiver.next()[2]["data"]["payload"] for _ in range(2)]
    assert [order["id"] for order in completed] == oldest
    assert all(order["status"] == "success" for order in completed)
    assert all(box.orders[order_id]["status"] == "success" for order_id in oldest)


def test_key_pair_comes_from_the_seed_unless_a_private_key_is_given():
    same = Sandbox(orders=1, seed=5).public_key_b64
    assert Sandbox(orders=1, seed=5).public_key_b64 == same
    assert Sandbox(orders=1, seed=6).public_key_b64 != same
    private = base64.b64encode(bytes(range(32))).decode()
    given = Sandbox(orders=1, seed=5, webhook_private_key=private)
    assert given.public_key_b64 == public_key_b64(signing_key(0, private))
    assert len(base64.b64decode(given.public_key_b64)) == 32
    with pytest.raises(ValueError):
        Sandbox(orders=1, webhook_private_key="not a key")


def test_command_writes_the_public_key_and_signs_what_it_sends(receiver, tmp_path):
    key_file = tmp_path / "telnyx_public_key"
    command = [
        sys.executable, "manage.py", "sandbox", "--port", "0", "--orders", "10", "--seed", "4",
        "--webhook-url", receiver.url, "--public-key-file", str(key_file),
        "--advance-every", "0.05",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, env=os.environ, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert receiver.url in line
        headers, body, event = receiver.next()
        _verify(key_file.read_text().strip(), headers, body)
        assert event["data"]["event_type"] == "number_order.complete"
    finally:
        process.terminate()
        process.wait(timeout=WAIT)
