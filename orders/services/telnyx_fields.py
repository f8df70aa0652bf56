"""Reading one field of Telnyx's JSON strictly: the type its cache column holds, within the
column's limits, or a FieldError naming the field and saying what is wrong with it.

Telnyx can send anything. What the cache stores must read back on both databases and show on
every page, so a value is taken only as the column holds it: text without NUL (PostgreSQL refuses
it) and no longer than the column, whole numbers in the column's range (SQLite would store 1e30,
PostgreSQL refuse it), true or false for a flag, and dates in the years 1900-2199 (PostgreSQL
stores year 9999 in UTC-14, which is year 10000 in UTC, and Python then cannot read it back).
"""

from datetime import UTC, datetime
from functools import lru_cache
from uuid import UUID

from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Model
from django.utils.dateparse import parse_datetime

# Dates the cache accepts, anywhere: the pages show them in local time, which overflows near
# year 1 or 9999, in Python or in the database. The webhook receiver refuses the same.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
# How much of a bad value an error message quotes: it ends up in SyncRun.error and the log.
_QUOTED = 40


class FieldError(ValueError):
    """A field the cache cannot hold: `name` is where it is in the answer, `problem` what is
    wrong with it."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name} {problem}")
        self.name = name
        self.problem = problem

    def at(self, where: str) -> "FieldError":
        """The same error, named from further out (`phone_numbers[3]` + `.locality`; an item
        itself, read with the name "", is named `phone_numbers[3]`)."""
        return FieldError(f"{where}.{self.name}" if self.name else where, self.problem)


def quoted(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _QUOTED else f"{text[: _QUOTED - 3]}..."


def clean_text(value: object, limit: int) -> str:
    """The lenient reader, for records that are shown but never acted on (comments, groups,
    addresses, documents): a string field of Telnyx's as the cache can hold it, "" for anything
    but a string, no NUL (which PostgreSQL refuses), at most `limit` characters. Orders are read
    strictly by text()."""
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "")[:limit]


def max_lengths(model: type[Model]) -> dict[str, int]:
    """Each text column's max_length, by field name."""
    return {
        field.name: field.max_length
        for field in model._meta.concrete_fields
        if field.max_length is not None and field.get_internal_type() == "CharField"
    }


def integer_range(model: type[Model], name: str) -> tuple[int, int]:
    """The values an integer column holds. Django's portable ranges, which PostgreSQL enforces
    and SQLite does not: the same values are refused on both."""
    internal_type = model._meta.get_field(name).get_internal_type()
    return BaseDatabaseOperations.integer_field_ranges[internal_type]


def record(value: object, name: str) -> dict:
    if value.__class__ is dict:
        return value
    raise FieldError(name, f"is not an object: {quoted(value)}")


def records(value: object, name: str) -> list:
    """A list, missing (None) read as empty."""
    if value.__class__ is list:
        return value
    if value is None:
        return []
    raise FieldError(name, f"is not a list: {quoted(value)}")


def text(value: object, name: str, max_length: int | None = None, *, required: bool = False) -> str:
    """A string for a text column (max_length None: unlimited); missing (None) read as "" unless
    `required`."""
    if value.__class__ is str:
        if "\x00" in value:
            raise FieldError(name, "holds a NUL character")
        if max_length is not None and len(value) > max_length:
            raise FieldError(name, f"is longer than {max_length} characters: {quoted(value)}")
        if value or not required:
            return value
    elif value is None and not required:
        return ""
    if value is None or value == "":
        raise FieldError(name, "is missing")
    raise FieldError(name, f"is not a string: {quoted(value)}")


def count(value: object, name: str, bounds: tuple[int, int], *, default: int = 0) -> int:
    """A whole number within `bounds`; missing (None) read as `default`. A float is refused even
    when whole: Telnyx's counts are integers, and 1e30 is what a count beyond 64 bits reads as."""
    low, high = bounds
    if value.__class__ is int:
        if low <= value <= high:
            return value
        raise FieldError(name, f"is outside {low}..{high}: {quoted(value)}")
    if value is None:
        return default
    raise FieldError(name, f"is not a whole number: {quoted(value)}")


def flag(value: object, name: str) -> bool:
    """true or false; missing (None) read as false. "false" is refused: as a string it is true."""
    if value is True or value is False:
        return value
    if value is None:
        return False
    raise FieldError(name, f"is not true or false: {quoted(value)}")


def identifier(value: object, name: str, read=UUID) -> UUID:
    """A UUID given as text; `read`: UUID, or a cached reader for ids that repeat."""
    if value.__class__ is str:
        try:
            return read(value)
        except ValueError:
            pass
    raise FieldError(name, f"is not a UUID: {quoted(value)}")


# A number's deadline is mostly its order's, and a sub order's dates the order's: each text is
# parsed once, not once per number.
@lru_cache(maxsize=1024)
def _moment(value: str) -> datetime | None:
    try:
        return parse_datetime(value)
    except ValueError:  # well formed, but no such date: 2026-02-30
        return None


def timestamp(value: object, name: str, *, required: bool = False) -> datetime | None:
    """An ISO 8601 timestamp in the years EARLIEST to LATEST, aware (UTC when it names no
    offset); missing (None or "") read as None unless `required`."""
    if value is None or value == "":
        if required:
            raise FieldError(name, "is missing")
        return None
    parsed = _moment(value) if value.__class__ is str else None
    if parsed is None:
        raise FieldError(name, f"is not a timestamp: {quoted(value)}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not EARLIEST <= parsed < LATEST:
        raise FieldError(
            name, f"is outside the years {EARLIEST.year}-{LATEST.year - 1}: {quoted(value)}"
        )
    return parsed


def json_object(value: object, name: str) -> dict:
    """An object for a JSON column, missing (None) read as {}: no NUL in any of its strings
    (PostgreSQL's jsonb refuses it). What orjson read holds no NaN nor integer beyond 64 bits."""
    if value is None:
        return {}
    pending = [record(value, name)]
    while pending:
        item = pending.pop()
        if item.__class__ is dict:
            pending.extend(item)
            pending.extend(item.values())
        elif item.__class__ is list:
            pending.extend(item)
        elif item.__class__ is str and "\x00" in item:
            raise FieldError(name, "holds a NUL character")
    return value
