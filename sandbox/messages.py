"""What an endpoint receives and answers: the parsed request, the reply, and Telnyx's errors.

Endpoints return a JSON-able value (sent with status 200) or a `Reply`; they refuse by raising
`ApiError`, which goes out as `{"errors": [{code, title, detail, source, meta}]}`.
"""

import json
from dataclasses import dataclass, field
from typing import Any

ERROR_DOCS = "https://developers.telnyx.com/docs/overview/errors/{}"


@dataclass
class Request:
    method: str
    path: str  # below /v2, e.g. "/number_orders"
    query: dict[str, str]  # the last value of each parameter
    raw: bytes
    headers: dict[str, str]  # names lower-cased
    query_lists: dict[str, list[str]] = field(default_factory=dict)  # every value, in order


@dataclass
class Reply:
    status: int
    payload: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    @classmethod
    def json(cls, status: int, body: Any, headers: dict[str, str] | None = None) -> "Reply":
        return cls(status, json.dumps(body, ensure_ascii=False).encode(), headers or {})


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

    def reply(self) -> Reply:
        return Reply.json(self.status, {"errors": self.errors}, self.headers)


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


def lookup(records: dict, key: str):
    """`records[key]`, or a 404 in Telnyx's format."""
    try:
        return records[key]
    except KeyError:
        raise not_found() from None


def unexpected() -> ApiError:
    return ApiError.one(500, "10007", "Unexpected error", "An unexpected error occured.")


def bad_parameter(parameter: str, detail: str) -> ApiError:
    return ApiError.one(400, "10015", "Bad Request", detail, parameter=parameter)


def invalid_value(pointer: str, detail: str) -> dict:
    return error("10015", "Invalid value", detail, pointer=pointer)


def missing_field(name: str) -> dict:
    """The error for a required body field that was not sent."""
    return error("10004", "Missing required parameter", f"{name} is required.", pointer=f"/{name}")


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def json_object(raw: bytes) -> dict:
    """The request body, which must be a JSON object; a 400 otherwise."""
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise ApiError.one(
            400, "10015", "Bad Request", "The request body must be a JSON object.", pointer="/"
        )
    return body
