"""CSV exports of any list: rows streamed as they are read, in constant memory."""

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from itertools import batched
from typing import Any

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header


@dataclass(frozen=True)
class CsvColumn:
    header: str
    value: Callable[[Any], object]  # the cell, from one row
    # False for a cell the export makes itself, never a formula (an id, a time): spares it the
    # check each text from elsewhere gets.
    checked: bool = True


# Spreadsheets run a cell that starts with one of these as a formula. A phone number
# ("+41215470000") or a negative number is data, and stays as it is.
_FORMULA_START = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"[+-]?\d[\d.]*")
# Rows per chunk of the response: one write per row would make as many tiny chunks.
ROWS_PER_CHUNK = 500


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    if text[:1] in _FORMULA_START and not _NUMBER.fullmatch(text):
        return f"'{text}"
    return text


def local_minutes(tz: tzinfo) -> Callable[[str | None], str]:
    """A cell for a time read as UTC text (orders.selectors.stored_text.UtcText): ISO 8601 in
    `tz`, to the minute, with its offset ("" for none). The rows are read after the view
    returns: the viewer's zone is to be taken before."""

    # Rows come sorted by time, or many to a number: the same time comes again and again.
    @lru_cache(maxsize=1024)
    def minute(utc_text: str | None) -> str:
        if not utc_text:
            return ""
        moment = datetime.fromisoformat(utc_text).replace(tzinfo=UTC)
        return moment.astimezone(tz).isoformat(timespec="minutes")

    return minute


def csv_stream(rows: Iterable, columns: Sequence[CsvColumn]) -> Iterator[str]:
    """The header, then the rows, as CSV text in chunks; each row is read when its chunk is."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.header for column in columns])
    cells = [(column.value, column.checked) for column in columns]
    for chunk in batched(rows, ROWS_PER_CHUNK):
        writer.writerows(
            [
                [_cell(value(row)) if checked else value(row) for value, checked in cells]
                for row in chunk
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def csv_response(
    *, rows: Iterable, columns: Sequence[CsvColumn], filename: str
) -> StreamingHttpResponse:
    """A download of csv_stream(rows, columns) named `filename` (which may hold any text: a
    customer reference)."""
    return StreamingHttpResponse(
        csv_stream(rows, columns),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
