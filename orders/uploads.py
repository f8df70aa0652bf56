"""The files Telnyx's document service takes (20 MB; PDF, PNG, JPEG, CSV, TXT, JSON, DOC(X),
XLS(X)), checked before one is sent, by name, size and first bytes."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ACCEPTED_NAMES = "PDF, PNG, JPEG, CSV, TXT, JSON, DOC, DOCX, XLS or XLSX"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old Office formats' container
_ZIP = b"PK\x03\x04"  # the new ones'
# Extension -> (content type, how the file starts; None: text, which has no NUL byte).
_TYPES: dict[str, tuple[str, bytes | None]] = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".csv": ("text/csv", None),
    ".txt": ("text/plain", None),
    ".json": ("application/json", None),
    ".doc": ("application/msword", _OLE),
    ".xls": ("application/vnd.ms-excel", _OLE),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ZIP,
    ),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
}
# The picker's file input offers these (the browser's hint; the checks below decide).
ACCEPT_ATTRIBUTE = ",".join(_TYPES)


@dataclass(frozen=True)
class Upload:
    """A file a manager chose, read and checked."""

    filename: str
    content: bytes
    content_type: str


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip().replace("\x00", "")[:255]


def checked_upload(file: UploadedFile) -> Upload:
    """The file as Telnyx would take it, or ValidationError saying why it would not."""
    filename = _basename(file.name or "")
    extension = "." + filename.rpartition(".")[2].lower() if "." in filename else ""
    if extension not in _TYPES:
        raise ValidationError(
            "Telnyx takes only %(names)s files; “%(filename)s” is none of them.",
            params={"names": ACCEPTED_NAMES, "filename": filename},
        )
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            "The file is %(size).1f MB; Telnyx takes at most 20 MB.",
            params={"size": file.size / 2**20},
        )
    content = file.read(MAX_UPLOAD_BYTES + 1)
    if not content:
        raise ValidationError("The file is empty.")
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationError("The file is over 20 MB; Telnyx takes at most 20 MB.")
    content_type, start = _TYPES[extension]
    if (start is None and b"\x00" in content) or (
        start is not None and not content.startswith(start)
    ):
        raise ValidationError(
            "The file's content is not %(kind)s, although its name says so.",
            params={"kind": extension[1:].upper()},
        )
    return Upload(filename=filename, content=content, content_type=content_type)
