"""The HTTP plumbing: a threaded keep-alive server whose every request is parsed, recorded,
authenticated, put through the faults asked for, and answered by the routed endpoint."""

import contextlib
import hmac
import socket
import sys
import threading
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from sandbox import control
from sandbox.messages import ApiError, Reply, Request, not_found, parse_json, unexpected
from sandbox.routes import API_PREFIX

if TYPE_CHECKING:
    from sandbox.server import Sandbox

CONTROL_PREFIX = "/_sandbox"
# Longer than any client waits; stop() cuts it short.
TIMEOUT_FAULT_SECONDS = 30.0
MAX_RECORDED = 10_000
# Bodies kept parsed in the request log: an upload's would hold its whole file.
MAX_RECORDED_BODY = 1024 * 1024
# A 20 MB file, base64-encoded in JSON, and room to spare; larger bodies are not even read.
MAX_REQUEST_BYTES = 32 * 1024 * 1024
RATE_LIMIT = 100


@dataclass
class RecordedRequest:
    method: str
    path: str  # as sent, without the query string, e.g. "/v2/number_orders"
    query: dict[str, str]
    body: Any  # the parsed JSON body; None when there was none, or not JSON, or over 1 MB
    headers: dict[str, str]  # names lower-cased
    status: int | None = None  # what the sandbox answered; None when it never did


def handle(box: "Sandbox", handler: "Handler") -> None:
    split = urlsplit(handler.path)
    lists = parse_qs(split.query, keep_blank_values=True)
    query = {key: values[-1] for key, values in lists.items()}
    length = int(handler.headers.get("Content-Length") or 0)
    if length > MAX_REQUEST_BYTES:
        # Read and dropped: a client still sending would not hear the answer.
        left = length
        while left and (chunk := handler.rfile.read(min(2**20, left))):
            left -= len(chunk)
        raw = b""
    else:
        raw = handler.rfile.read(length)
    headers = {name.lower(): value for name, value in handler.headers.items()}
    method, path = handler.command, split.path
    record = None
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        kept = parse_json(raw) if len(raw) <= MAX_RECORDED_BODY else None
        record = RecordedRequest(method, path, query, kept, headers)
        with box.lock:
            box.requests.append(record)
            if len(box.requests) > MAX_RECORDED:
                del box.requests[: MAX_RECORDED // 2]
    try:
        if length > MAX_REQUEST_BYTES:
            raise ApiError.one(
                413,
                "10015",
                "Request too large",
                f"The request body is {length:,} bytes; a document may have at most 20 MB.",
            )
        if record is not None:
            request = Request(method, path.removeprefix(API_PREFIX), query, raw, headers, lists)
            reply = _api(box, request)
        elif path.startswith(CONTROL_PREFIX + "/"):
            authenticate(box, headers)
            reply = control.answer(box, method, path.removeprefix(CONTROL_PREFIX), raw)
        else:
            raise not_found()
    except ApiError as failure:
        reply = failure.reply()
    except Exception:
        # A bug in the sandbox: say so loudly, but answer like Telnyx would.
        traceback.print_exc()
        reply = unexpected().reply()
    if reply is None:  # a timeout fault: hang up without a word
        handler.close_connection = True
        return
    if record is not None:
        record.status = reply.status
    handler.send_response(reply.status)
    handler.send_header("Content-Type", reply.content_type)
    handler.send_header("Content-Length", str(len(reply.payload)))
    for name, value in reply.headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(reply.payload)


def authenticate(box: "Sandbox", headers: dict[str, str]) -> None:
    expected = f"Bearer {box.api_key}".encode()
    if not hmac.compare_digest(headers.get("authorization", "").encode(), expected):
        raise ApiError.one(
            401,
            "10009",
            "Authentication failed",
            "The required authentication headers were either invalid or not included in "
            "the request.",
        )


def _api(box: "Sandbox", request: Request) -> Reply | None:
    faults = box.faults
    if faults.latency:
        box.stopping.wait(faults.latency)
    authenticate(box, request.headers)
    with box.lock:
        if faults.rate_limit_burst > 0:
            faults.rate_limit_burst -= 1
            raise ApiError.one(
                429,
                "10011",
                "Too many requests",
                "You have exceeded the maximum number of allowed requests.",
                headers={
                    "x-ratelimit-limit": str(RATE_LIMIT),
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-reset": str(faults.rate_limit_reset),
                },
            )
        if faults.error_rate and box.fault_rng.random() < faults.error_rate:
            raise unexpected()
    route, args = box.router.resolve(request.method, request.path)
    order_id = route.order_of(box, request, *args) if route.order_of else None
    fault = faults.order_faults.get(order_id) if order_id else None
    if fault == "timeout":
        box.stopping.wait(TIMEOUT_FAULT_SECONDS)
        return None
    if fault == "500":
        raise unexpected()
    if fault == "404":
        raise not_found()
    if fault == "malformed":
        return Reply(200, b'{"data": {"id": "' + order_id.encode() + b'", "status": "pen')
    with box.lock:
        box.reviewers.run_due()
        body = route.answer(box, request, *args)
    return body if isinstance(body, Reply) else Reply.json(200, body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, box: "Sandbox", address: tuple[str, int]):
        self.box = box
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, Handler)

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


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as requests.Session expects
    # Headers and body go out in separate writes; with Nagle on, each kept-alive answer would
    # wait for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server_version = "TelnyxSandbox/1"
    server: Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        handle(self.server.box, self)

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def log_message(self, format: str, *args) -> None:
        if self.server.box.verbose:
            super().log_message(format, *args)
