"""The bench builder's raw writers: `executemany` on SQLite, `COPY` on PostgreSQL, of the tuples
the generator makes (FIELDS names their columns)."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from django.db import connection

from orders.models import (
    Order,
    PhoneNumber,
    RequirementDefinition,
    RequirementValue,
    SubOrder,
)

# The fields each generated tuple holds, in order; any other column is left NULL.
FIELDS = {
    RequirementDefinition: (
        "id", "label", "description", "example", "field_type", "acceptance_criteria",
        "updated_at", "synced_at",
    ),
    Order: (
        "id", "status", "customer_reference", "phone_numbers_count", "requirements_met",
        "billing_group_id", "connection_id", "messaging_profile_id", "countries",
        "numbers_awaiting", "deadline", "created_at", "updated_at", "synced_at", "gone_at",
        "changed_at",
    ),
    SubOrder: (
        "id", "order", "country_code", "phone_number_type", "status", "requirements_met",
        "phone_numbers_count", "is_block_sub_number_order", "created_at", "updated_at",
        "synced_at",
    ),
    PhoneNumber: (
        "id", "telnyx_id", "order", "sub_order", "phone_number", "digits", "country_code",
        "phone_number_type", "status", "requirements_met", "requirements_status", "deadline",
        "locality", "bundle_id", "updated_at", "synced_at",
    ),
    RequirementValue: (
        "phone_number", "requirement_id", "field_type", "field_value", "status", "updated_at",
        "synced_at",
    ),
}  # fmt: skip


def _columns(model) -> list[str]:
    return [model._meta.get_field(name).column for name in FIELDS[model]]


class SqliteWriter:
    def ident(self, value: uuid.UUID) -> str:
        # Django keeps UUIDs as 32 hex digits on databases without a native uuid type.
        return value.hex

    def stamp(self, value: datetime) -> str:
        # What Django's SQLite backend stores for an aware datetime with USE_TZ: naive UTC text.
        return str(value.astimezone(UTC).replace(tzinfo=None))

    def prepare(self) -> None:
        with connection.cursor() as cursor:
            # The bench file can always be rebuilt, so durability costs time for nothing here.
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-200000")

    def write(self, model, rows: Sequence[tuple]) -> None:
        columns = _columns(model)
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) VALUES ({placeholders})"
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    def finish(self) -> None:
        pass

    def settle(self) -> None:
        # Back to the settings' connection, as the site opens it. No ANALYZE: nothing in the
        # site runs it, so its plans are those SQLite picks without statistics.
        connection.close()


class PostgresWriter:
    def ident(self, value: uuid.UUID) -> uuid.UUID:
        return value

    def stamp(self, value: datetime) -> datetime:
        return value

    def prepare(self) -> None:
        pass

    def write(self, model, rows: Sequence[tuple]) -> None:
        columns = _columns(model)
        sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)

    def finish(self) -> None:
        # Numbers were given explicit ids; move the sequence past them for later inserts.
        from django.core.management.color import no_style

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [PhoneNumber]):
                cursor.execute(sql)

    def settle(self) -> None:
        # What autovacuum does after a bulk load (PostgreSQL 13+ vacuums insert-only tables
        # too): statistics for the planner and a visibility map for index-only scans.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
