"""The multi-row INSERT ... ON CONFLICT DO UPDATE that the store writes with."""

import itertools
from collections.abc import Callable
from functools import cache, partial
from operator import itemgetter
from uuid import UUID

import orjson
from django.db import connection
from django.db.models import Field, Model


def _driver_form(field: Field) -> Callable[[object], object] | None:
    """How a value the sync writes goes into the statement, without the field machinery
    (which cost the sync more CPU than the database's own work); None when as it is. On
    SQLite what Field.get_db_prep_save gives; on PostgreSQL JSON that it reads back into the
    same value (see upsert)."""
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    postgresql = connection.vendor == "postgresql"
    if kind in ("UUIDField", "DateTimeField") and postgresql:
        # orjson writes both, in C, as PostgreSQL reads them: no str() or isoformat() in Python
        # for every value.
        return None
    if kind == "UUIDField":
        # SQLite stores the 32 hex digits.
        return _hex
    if kind == "DateTimeField":
        # Most repeat (the order's updated_at on each of its rows): convert each one once.
        return cache(connection.ops.adapt_datetimefield_value)
    if kind in _DRIVER_NATIVE:
        return None
    return partial(field.get_db_prep_save, connection=connection)


def _is_text(field: Field) -> bool:
    return field.get_internal_type() in ("CharField", "TextField")


# Values order_rows() already gives as the Python type the driver expects.
_DRIVER_NATIVE = {"CharField", "TextField", "BooleanField", "PositiveIntegerField", "IntegerField"}


def _hex(value: UUID | None) -> str | None:
    return None if value is None else value.hex


def upsert(model: type[Model], rows: list[dict], *, unique: tuple[str, ...]) -> None:
    """INSERT ... ON CONFLICT (unique) DO UPDATE for `rows` (dicts by attname, all with the same
    keys). A key "<foreign key>__<field>" gives the foreign key by another unique field of the
    row it points to, which the database looks up (a requirement value names its number by
    Telnyx's id, not by a primary key the sync would first have to read back).

    bulk_create(update_conflicts=True) would do, but it puts every value of every row through
    the field machinery; here each column is converted in one pass (see _driver_form).
    """
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    names = list(rows[0])
    columns, converters, lookups = [], [], []
    for name in names:
        relation, _, key = name.partition("__")
        field = meta.get_field(relation)
        columns.append(quote(field.column))
        if key:
            remote = field.related_model._meta
            key_field = remote.get_field(key)
            lookups.append(
                f"(SELECT {quote(remote.pk.column)} FROM {quote(remote.db_table)} "
                f"WHERE {quote(key_field.column)} = {{}})"
            )
            field = key_field
        else:
            lookups.append("{}")
        converters.append((field, _driver_form(field)))
    conflict = [quote(meta.get_field(name).column) for name in unique]
    insert = f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "
    upsert = f" ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET " + ", ".join(
        f"{column} = EXCLUDED.{column}" for column in columns if column not in conflict
    )
    # A row holds its unique key and more: at least two names, so itemgetter gives tuples.
    by_column = list(zip(*map(itemgetter(*names), rows), strict=True))
    by_column = [
        column if convert is None else list(map(convert, column))
        for column, (_, convert) in zip(by_column, converters, strict=True)
    ]
    # The rows as a table with columns column1, column2...: what SQLite calls a VALUES list's.
    sources = [f"column{position}" for position in range(1, len(names) + 1)]
    select = ", ".join(
        lookup.format(source) for lookup, source in zip(lookups, sources, strict=True)
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Every row in one JSON parameter, which PostgreSQL takes apart in C: psycopg dumps
            # a VALUES list's parameters, or arrays, value by value in Python.
            # Text is not cast, so that a value too long for its column fails as on insert.
            columns = ", ".join(
                f"(value->>{position})"
                + ("" if _is_text(field) else f"::{field.db_type(connection)}")
                + f" AS {source}"
                for position, ((field, _), source) in enumerate(
                    zip(converters, sources, strict=True)
                )
            )
            cursor.execute(
                f"{insert}SELECT {select} FROM (SELECT {columns} FROM json_array_elements(%s))"
                f" AS v{upsert}",
                [orjson.dumps(list(zip(*by_column, strict=True))).decode()],
            )
            return
        # Many rows a statement, not executemany's statement a row: every statement flushes
        # the FTS5 index that the phone numbers' trigger writes to, and gives up and takes back
        # the GIL. NULL rows pad each statement to a power of two, which WHERE drops (a row's
        # first key, its identity, is never NULL): SQLite keeps every statement it prepared,
        # and a dozen shapes serve every batch.
        width = len(names)
        row = f"({', '.join(['%s'] * width)})"
        limit = min(_SQLITE_MAX_ROWS, connection.features.max_query_params // width)
        limit = 1 << (limit.bit_length() - 1)
        values = list(zip(*by_column, strict=True))
        for start in range(0, len(values), limit):
            chunk = values[start : start + limit]
            size = 1 << (len(chunk) - 1).bit_length()
            cursor.execute(
                f"{insert}SELECT {select} FROM (VALUES {', '.join([row] * size)}) "
                f"WHERE column1 IS NOT NULL{upsert}",
                [*itertools.chain.from_iterable(chunk), *[None] * (width * (size - len(chunk)))],
            )


# The most rows in one SQLite statement.
_SQLITE_MAX_ROWS = 1024
