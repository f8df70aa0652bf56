"""The sandbox's own endpoints below /_sandbox, for tests and demos in other processes: faults,
a summary of the requests served, completing an order now, and moving the clock forward."""

import re
from collections import Counter
from dataclasses import asdict
from datetime import timedelta
from typing import TYPE_CHECKING

from sandbox.clock import iso
from sandbox.messages import ApiError, Reply, json_object, not_found

if TYPE_CHECKING:
    from sandbox.server import Sandbox


def answer(box: "Sandbox", method: str, path: str, raw: bytes) -> Reply:
    if path == "/faults" and method in ("GET", "POST"):
        if method == "POST":
            changes = json_object(raw)
            try:
                with box.lock:
                    box.faults.update(changes)
            except ValueError as problem:
                raise ApiError.one(400, "10015", "Bad Request", str(problem)) from None
        return Reply.json(200, {"data": asdict(box.faults)})
    if path == "/requests" and method == "GET":
        return Reply.json(200, {"data": request_summary(box)})
    if path == "/clock" and method in ("GET", "POST"):
        return Reply.json(200, {"data": {"now": _clock(box, method, raw)}})
    completing = re.fullmatch(r"/orders/([^/]+)/complete", path)
    if completing and method == "POST":
        try:
            with box.lock:
                return Reply.json(200, {"data": box.complete_order(completing[1])})
        except KeyError:
            raise not_found() from None
        except ValueError as problem:
            raise ApiError.one(422, "10015", "Invalid state", str(problem)) from None
    raise not_found()


def _clock(box: "Sandbox", method: str, raw: bytes) -> str:
    """The sandbox's time, after `{"advance_seconds": 1800}` when POSTed."""
    if method == "GET":
        return iso(box.clock.now())
    seconds = json_object(raw).get("advance_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise ApiError.one(
            400,
            "10015",
            "Bad Request",
            "advance_seconds is a number of seconds, 0 or more.",
            pointer="/advance_seconds",
        )
    return box.advance_clock(timedelta(seconds=seconds))


def request_summary(box: "Sandbox", recent: int = 20) -> dict:
    """What `GET /_sandbox/requests` answers: counts by route and status, the latest few."""
    with box.lock:
        held = list(box.requests)
    return {
        "total": len(held),
        "by_route": dict(Counter(f"{r.method} {_template(r.path)}" for r in held)),
        "by_status": dict(Counter(str(r.status) for r in held)),
        "recent": [
            {"method": r.method, "path": r.path, "query": r.query, "status": r.status}
            for r in held[-recent:]
        ],
    }


def _template(path: str) -> str:
    return re.sub(r"/(?:[0-9a-f]{8}-[0-9a-f-]{27}|[0-9]+)(?=/|$)", "/{id}", path)
