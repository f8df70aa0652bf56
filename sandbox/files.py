"""The files Telnyx's document service accepts, recognised by name and by content, and small but
valid PDF and PNG files standing in for the generated world's scans."""

import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

MAX_FILE_BYTES = 20 * 1024 * 1024
ACCEPTED = "PDF, PNG, JPEG, CSV, TXT, JSON, DOC, DOCX, XLS and XLSX"
# The industry's harmless test signature: every antivirus scanner reports it as infected.
EICAR_SIGNATURE = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of the old Office formats


def _text(content: bytes) -> bool:
    try:
        return b"\x00" not in content and bool(content.decode("utf-8"))
    except UnicodeDecodeError:
        return False


def _json(content: bytes) -> bool:
    try:
        json.loads(content.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError is one too
        return False
    return True


def _office_zip(part: str) -> Callable[[bytes], bool]:
    def looks_right(content: bytes) -> bool:
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                return part in archive.namelist()
        except zipfile.BadZipFile:
            return False

    return looks_right


@dataclass(frozen=True)
class FileType:
    name: str
    content_type: str
    extensions: tuple[str, ...]
    looks_right: Callable[[bytes], bool]


TYPES = (
    FileType("PDF", "application/pdf", (".pdf",), lambda c: c.startswith(b"%PDF-")),
    FileType("PNG", "image/png", (".png",), lambda c: c.startswith(b"\x89PNG\r\n\x1a\n")),
    FileType("JPEG", "image/jpeg", (".jpg", ".jpeg"), lambda c: c.startswith(b"\xff\xd8\xff")),
    FileType("CSV", "text/csv", (".csv",), _text),
    FileType("TXT", "text/plain", (".txt",), _text),
    FileType("JSON", "application/json", (".json",), _json),
    FileType("DOC", "application/msword", (".doc",), lambda c: c.startswith(_OLE)),
    FileType(
        "DOCX",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
        _office_zip("word/document.xml"),
    ),
    FileType("XLS", "application/vnd.ms-excel", (".xls",), lambda c: c.startswith(_OLE)),
    FileType(
        "XLSX",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (".xlsx",),
        _office_zip("xl/workbook.xml"),
    ),
)


def file_type(filename: str) -> FileType | None:
    """The accepted type a file's name says it is, or None."""
    lowered = filename.lower()
    return next((kind for kind in TYPES if lowered.endswith(kind.extensions)), None)


def refusal(filename: str, content: bytes) -> str | None:
    """Why the document service would refuse this file, or None when it takes it."""
    kind = file_type(filename)
    if kind is None:
        return f"Only {ACCEPTED} files are accepted; {filename!r} is none of them."
    if not content:
        return "The file is empty."
    if len(content) > MAX_FILE_BYTES:
        return f"The file is {len(content):,} bytes; at most 20 MB ({MAX_FILE_BYTES:,}) is taken."
    if not kind.looks_right(content):
        return f"The file's content is not {kind.name}, although its name says so."
    return None


def infected(content: bytes) -> bool:
    return EICAR_SIGNATURE in content


# -- stand-ins for scans ---------------------------------------------------------------------------


def pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing `lines` (as far as Windows-1252 can write them)."""
    text = "".join(
        f"({_pdf_escape(line)}) Tj 0 -22 Td " for line in lines
    )  # each line 22 points below the last
    stream = f"BT /F1 14 Tf 72 760 Td {text}ET".encode("cp1252", errors="replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R"
        b" >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def png(width: int, height: int, shade: int) -> bytes:
    """A grey PNG with a darker band, like a photographed card."""
    rows = b"".join(
        b"\x00" + bytes([shade // 2 if height // 3 <= y < height // 2 else shade]) * width
        for y in range(height)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )
