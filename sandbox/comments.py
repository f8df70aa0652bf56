"""The comment endpoints: the thread on a sub order or requirement group (oldest first), the
account's own comments, and marking one read. Telnyx's reviewers write theirs through
`sandbox.review`; there is no webhook for comments, so clients poll."""

from typing import TYPE_CHECKING

from sandbox import records
from sandbox.messages import ApiError, Request, invalid_value, json_object, lookup, missing_field
from sandbox.params import page
from sandbox.routes import Route

if TYPE_CHECKING:
    from sandbox.server import Sandbox

RECORD_TYPES = ("sub_number_order", "requirement_group")
MAX_BODY = 5000


def list_comments(box: "Sandbox", request: Request) -> dict:
    record_type = _required(request, "filter[comment_record_type]")
    record_id = _required(request, "filter[comment_record_id]")
    if record_type not in RECORD_TYPES:
        raise ApiError.one(
            400,
            "10015",
            "Bad Request",
            "filter[comment_record_type] is one of " + ", ".join(RECORD_TYPES) + ".",
            parameter="filter[comment_record_type]",
        )
    thread = [
        comment
        for comment in box.comments.values()
        if (comment["comment_record_type"], comment["comment_record_id"])
        == (record_type, record_id)
    ]
    thread.sort(key=lambda comment: (comment["created_at"], comment["id"]))
    return page(request.query, thread)


def _required(request: Request, parameter: str) -> str:
    value = request.query.get(parameter, "")
    if not value:
        raise ApiError.one(
            400,
            "10004",
            "Missing required parameter",
            f"{parameter} is required.",
            parameter=parameter,
        )
    return value


def get_comment(box: "Sandbox", request: Request, comment_id: str) -> dict:
    return {"data": lookup(box.comments, comment_id)}


def create_comment(box: "Sandbox", request: Request) -> dict:
    body = json_object(request.raw)
    text, record_type, record_id = (
        body.get(key) for key in ("body", "comment_record_type", "comment_record_id")
    )
    problems = []
    if not isinstance(text, str) or not text.strip():
        problems.append(
            missing_field("body")
            if text is None
            else invalid_value("/body", "Must be a non-empty string.")
        )
    elif len(text) > MAX_BODY:
        problems.append(invalid_value("/body", f"Must be at most {MAX_BODY} characters long."))
    if record_type is None:
        problems.append(missing_field("comment_record_type"))
    elif record_type not in RECORD_TYPES:
        detail = "Must be one of " + ", ".join(RECORD_TYPES) + "."
        problems.append(invalid_value("/comment_record_type", detail))
    records_of_type = (
        box.sub_orders if record_type == "sub_number_order" else box.requirement_groups
    )
    if record_id is None:
        problems.append(missing_field("comment_record_id"))
    elif record_type in RECORD_TYPES and record_id not in records_of_type:
        detail = f"No {record_type.replace('_', ' ')} with id {record_id} exists."
        problems.append(invalid_value("/comment_record_id", detail))
    if problems:
        raise ApiError(422, problems)
    comment = records.comment(
        box.new_id(),
        record_type=record_type,
        record_id=record_id,
        body=text.strip(),
        by_admin=False,
        created=box.stamp(),
    )
    box.comments[comment["id"]] = comment
    box.reviewers.comment_posted(comment)
    return {"data": comment}


def mark_read(box: "Sandbox", request: Request, comment_id: str) -> dict:
    comment = lookup(box.comments, comment_id)
    if comment["read_at"] is None:
        comment["read_at"] = comment["updated_at"] = box.stamp()
    return {"data": comment}


def _order_of_thread(box: "Sandbox", request: Request) -> str | None:
    if request.query.get("filter[comment_record_type]") != "sub_number_order":
        return None
    sub_order = box.sub_orders.get(request.query.get("filter[comment_record_id]", ""))
    return sub_order and sub_order["order_request_id"]


ROUTES = [
    Route.of("GET", r"/comments", list_comments, _order_of_thread),
    Route.of("POST", r"/comments", create_comment),
    Route.of("GET", r"/comments/([^/]+)", get_comment),
    Route.of("PATCH", r"/comments/([^/]+)/read", mark_read),
]
