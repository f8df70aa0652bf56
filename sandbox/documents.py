"""The document endpoints: uploads (multipart, or JSON with the file base64-encoded) checked as
Telnyx's document service checks them, kept in memory, listed, read and downloaded."""

import base64
import binascii
from email.parser import BytesHeaderParser
from email.policy import HTTP
from typing import TYPE_CHECKING
from urllib.parse import quote

from sandbox import files, records
from sandbox.clock import parse_iso
from sandbox.messages import ApiError, Reply, Request, bad_parameter, invalid_value, lookup
from sandbox.messages import json_object as json_body
from sandbox.params import moment, page
from sandbox.routes import Route

if TYPE_CHECKING:
    from sandbox.server import Sandbox

MAX_STORED_BYTES = 256 * 1024 * 1024  # all uploads together
SORTS = ("filename", "created_at", "updated_at")


def list_documents(box: "Sandbox", request: Request) -> dict:
    query = request.query
    found = list(box.documents.values())
    if "filter[filename][contains]" in query:
        part = query["filter[filename][contains]"].lower()
        found = [d for d in found if part in d["filename"].lower()]
    if "filter[customer_reference][eq]" in query:
        reference = query["filter[customer_reference][eq]"]
        found = [d for d in found if d["customer_reference"] == reference]
    references = request.query_lists.get("filter[customer_reference][in][]")
    if references:
        found = [d for d in found if d["customer_reference"] in references]
    for bound, keep in (("gt", lambda a, b: a > b), ("lt", lambda a, b: a < b)):
        parameter = f"filter[created_at][{bound}]"
        if parameter in query:
            when = moment(query, parameter)
            found = [d for d in found if keep(parse_iso(d["created_at"]), when)]
    sorts = request.query_lists.get("sort[]") or request.query_lists.get("sort") or ["-created_at"]
    for sort in reversed(sorts):  # the first named sorts last, so it decides
        if sort.removeprefix("-") not in SORTS:
            raise bad_parameter("sort[]", "sort[] is one of " + ", ".join(SORTS) + " (or -…).")
        key = sort.removeprefix("-")
        found.sort(key=lambda d, key=key: d[key], reverse=sort.startswith("-"))
    return page(query, found)


def get_document(box: "Sandbox", request: Request, document_id: str) -> dict:
    return {"data": lookup(box.documents, document_id)}


def download_document(box: "Sandbox", request: Request, document_id: str) -> Reply:
    document = lookup(box.documents, document_id)
    name = document["filename"]
    fallback = name.encode("ascii", "replace").decode().replace('"', "'")
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return Reply(
        200,
        box.files[document_id],
        {"Content-Disposition": disposition},
        content_type=document["content_type"],
    )


def create_document(box: "Sandbox", request: Request) -> dict:
    filename, content, reference = _upload(request)
    reason = files.refusal(filename, content)
    if reason:
        pointer = "/filename" if files.file_type(filename) is None else "/file"
        raise ApiError(422, [invalid_value(pointer, reason)])
    if sum(map(len, box.files.values())) + len(content) > MAX_STORED_BYTES:
        raise ApiError(
            422,
            [
                invalid_value(
                    "/file",
                    f"The sandbox keeps at most {MAX_STORED_BYTES // 2**20} MB of uploads; "
                    "this one would not fit.",
                )
            ],
        )
    document_id = box.new_id()
    document = records.document(
        document_id,
        filename=filename,
        content=content,
        customer_reference=reference,
        status="pending",
        av_scan_status="pending_scan",
        created=box.stamp(),
    )
    box.documents[document_id] = document
    box.files[document_id] = content
    box.reviewers.document_uploaded(document_id)
    return {"data": document}


def _upload(request: Request) -> tuple[str, bytes, str]:
    """(file name, content, customer reference) from a multipart or a JSON upload."""
    header = request.headers.get("content-type", "")
    parsed = BytesHeaderParser(policy=HTTP).parsebytes(f"Content-Type: {header}\r\n\r\n".encode())
    if parsed.get_content_type() == "multipart/form-data":
        return _multipart(request.raw, parsed.get_param("boundary") or "")
    if parsed.get_content_type() != "application/json":
        raise ApiError.one(
            400,
            "10015",
            "Bad Request",
            "Send the document as multipart/form-data or as JSON.",
            pointer="/",
        )
    body = json_body(request.raw)
    reference = _reference(body.get("customer_reference"))
    if body.get("file") is None and body.get("url") is not None:
        raise ApiError(
            422,
            [
                invalid_value(
                    "/url",
                    "The sandbox is offline and cannot fetch a URL: send the file itself, "
                    "base64-encoded in `file` with its `filename`, or as multipart/form-data.",
                )
            ],
        )
    problems = []
    try:
        content = base64.b64decode(body.get("file") or "", validate=True)
    except (TypeError, binascii.Error):
        content = b""
        problems.append(invalid_value("/file", "Must be the file's content, base64-encoded."))
    if not body.get("file") and not problems:
        problems.append(invalid_value("/file", "A file (or a url) is required."))
    filename = body.get("filename")
    if not isinstance(filename, str) or not _basename(filename):
        problems.append(invalid_value("/filename", "The file's name is required."))
    if problems:
        raise ApiError(422, problems)
    return _basename(filename), content, reference


def _multipart(raw: bytes, boundary: str) -> tuple[str, bytes, str]:
    fields: dict[str, tuple[str | None, bytes]] = {}
    if boundary:
        for part in raw.split(b"--" + boundary.encode())[1:]:
            if part.startswith(b"--"):
                break  # the closing delimiter
            head, _, body = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
            headers = BytesHeaderParser(policy=HTTP).parsebytes(head + b"\r\n\r\n")
            name = headers.get_param("name", header="content-disposition")
            if name:
                fields[name] = (headers.get_filename(), body.removesuffix(b"\r\n"))
    if "file" not in fields:
        raise ApiError(422, [invalid_value("/file", "A part named file is required.")])
    filename, content = fields["file"]
    reference = fields.get("customer_reference", (None, b""))[1].decode(errors="replace")
    return _basename(filename or "upload"), content, reference


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip()


def _reference(value) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    raise ApiError(422, [invalid_value("/customer_reference", "Must be a string.")])


ROUTES = [
    Route.of("GET", r"/documents", list_documents),
    Route.of("POST", r"/documents", create_document),
    Route.of("GET", r"/documents/([^/]+)", get_document),
    Route.of("GET", r"/documents/([^/]+)/download", download_document),
]
