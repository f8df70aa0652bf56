"""Substring search over phone numbers and customer references.

Support staff type any run of digits from a number ("4471", the last four, the middle) or a piece
of a reference; a B-tree cannot answer `LIKE '%...%'`, so each database gets a trigram index:
PostgreSQL a GIN pg_trgm index, SQLite an FTS5 trigram table kept in step by triggers.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE orders_phonenumber_search USING fts5(
        digits, order_id UNINDEXED, tokenize='trigram')""",
    """CREATE TRIGGER orders_phonenumber_search_ai AFTER INSERT ON orders_phonenumber BEGIN
        INSERT INTO orders_phonenumber_search(rowid, digits, order_id)
        VALUES (new.id, new.digits, new.order_id);
    END""",
    """CREATE TRIGGER orders_phonenumber_search_ad AFTER DELETE ON orders_phonenumber BEGIN
        DELETE FROM orders_phonenumber_search WHERE rowid = old.id;
    END""",
    """CREATE TRIGGER orders_phonenumber_search_au AFTER UPDATE OF digits, order_id
        ON orders_phonenumber BEGIN
        UPDATE orders_phonenumber_search SET digits = new.digits, order_id = new.order_id
        WHERE rowid = old.id;
    END""",
    """INSERT INTO orders_phonenumber_search(rowid, digits, order_id)
        SELECT id, digits, order_id FROM orders_phonenumber""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS orders_phonenumber_search_ai",
    "DROP TRIGGER IF EXISTS orders_phonenumber_search_ad",
    "DROP TRIGGER IF EXISTS orders_phonenumber_search_au",
    "DROP TABLE IF EXISTS orders_phonenumber_search",
]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """CREATE INDEX IF NOT EXISTS phonenumber_digits_trgm
        ON orders_phonenumber USING gin (digits gin_trgm_ops)""",
    """CREATE INDEX IF NOT EXISTS order_reference_trgm
        ON orders_order USING gin (UPPER(customer_reference) gin_trgm_ops)""",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS phonenumber_digits_trgm",
    "DROP INDEX IF EXISTS order_reference_trgm",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
