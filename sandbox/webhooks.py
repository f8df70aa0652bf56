"""Telnyx-style webhook deliveries: signed with Ed25519, sent off the request thread, retried.

Telnyx signs f"{timestamp}|{raw body}" and sends the base64 signature in
`telnyx-signature-ed25519`, the unix timestamp in `telnyx-timestamp`. Anything but HTTP 200 is
retried with back-off, under the same event id and with `meta.attempt` counting up; retries are
scheduled rather than waited for, so one failing event does not hold back the others (which is
how deliveries come to arrive out of order, as they do from Telnyx).
"""

import base64
import hashlib
import heapq
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sandbox.clock import iso

MAX_ATTEMPTS = 5
DELIVERY_TIMEOUT = 5.0


def signing_key(seed: int, private_key_b64: str | None = None) -> Ed25519PrivateKey:
    """The given base64 private key (32 bytes), or one derived from the seed: same seed, same
    public key, so a dashboard configured for the sandbox keeps verifying across restarts."""
    if private_key_b64:
        try:
            raw = base64.b64decode(private_key_b64, validate=True)
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise ValueError("an Ed25519 private key is 32 bytes, base64-encoded")
    else:
        raw = hashlib.sha256(f"telnyx-sandbox-webhook-key/{seed}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes_raw()).decode()


def sign(key: Ed25519PrivateKey, timestamp: str, body: bytes) -> str:
    return base64.b64encode(key.sign(timestamp.encode() + b"|" + body)).decode()


@dataclass(frozen=True)
class Delivery:
    """One attempt at delivering an event."""

    event_id: str
    event_type: str
    attempt: int
    status: int | None  # the receiver's HTTP status; None when it could not be reached
    error: str = ""
    retry_in: float | None = None  # seconds until the next attempt; None: delivered or given up


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed delivery (a login page answering 200 must not count as one)."""

    def redirect_request(self, *args, **kwargs):
        return None


class WebhookSender:
    """A worker thread posting events to `url`, retrying each up to `max_attempts` times."""

    def __init__(
        self,
        url: str,
        key: Ed25519PrivateKey,
        *,
        backoff: float = 1.0,
        max_attempts: int = MAX_ATTEMPTS,
    ):
        self.url = url
        self.key = key
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.deliveries: list[Delivery] = []
        # (due time, tie-breaker, event data, attempt), soonest first
        self._due: list[tuple[float, int, dict, int]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        # Webhooks go to loopback or an intranet host: never through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread:
            self._thread.join(timeout=DELIVERY_TIMEOUT + 1)
            self._thread = None

    def send(self, event_type: str, payload: dict) -> str:
        """Queues an event (payload copied now) and returns its id."""
        event = {
            "id": str(uuid.uuid4()),
            "event_type": event_type,
            "occurred_at": iso(datetime.now(UTC)),
            "payload": json.loads(json.dumps(payload)),
            "record_type": "event",
        }
        self._schedule(event, attempt=1, delay=0.0)
        return event["id"]

    def _schedule(self, event: dict, *, attempt: int, delay: float) -> None:
        with self._wake:
            entry = (time.monotonic() + delay, next(self._order), event, attempt)
            heapq.heappush(self._due, entry)
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopping and (not self._due or self._due[0][0] > time.monotonic()):
                    self._wake.wait(self._due[0][0] - time.monotonic() if self._due else None)
                if self._stopping:
                    return
                _, _, event, attempt = heapq.heappop(self._due)
            status, problem = self._post(event, attempt)
            retry_in = None
            if status != 200 and attempt < self.max_attempts:
                retry_in = self.backoff * 2 ** (attempt - 1)
            self.deliveries.append(
                Delivery(event["id"], event["event_type"], attempt, status, problem, retry_in)
            )
            if retry_in is not None:
                self._schedule(event, attempt=attempt + 1, delay=retry_in)

    def _post(self, event: dict, attempt: int) -> tuple[int | None, str]:
        body = json.dumps(
            {"data": event, "meta": {"attempt": attempt, "delivered_to": self.url}}
        ).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "telnyx-sandbox-webhooks",
                "telnyx-signature-ed25519": sign(self.key, timestamp, body),
                "telnyx-timestamp": timestamp,
            },
        )
        try:
            with self._opener.open(request, timeout=DELIVERY_TIMEOUT) as response:
                return response.status, ""
        except urllib.error.HTTPError as refused:
            return refused.code, ""
        except OSError as problem:  # refused connection, timeout, bad host
            return None, str(problem)
