"""Rows read for an export: fetched in chunks from one cursor as the export writes them."""

from collections.abc import Iterator

from django.db import transaction
from django.db.models import QuerySet

# Rows per round trip to the database; an export holds one chunk at a time.
CHUNK_SIZE = 2000


def rows_streamed(rows: QuerySet) -> Iterator:
    """The rows of `rows`, fetched in chunks as they are read, in one transaction. Outside one,
    Django declares PostgreSQL's server-side cursor WITH HOLD, and a held cursor runs its query
    to the end and writes every row out at the commit, before the first is fetched (6,000,000
    rows: a minute). Within one, rows come as the query makes them, from a plan chosen to start
    at once (cursor_tuple_fraction). A client that hangs up ends it (GeneratorExit: rollback)."""
    with transaction.atomic():
        yield from rows.iterator(chunk_size=CHUNK_SIZE)
