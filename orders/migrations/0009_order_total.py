"""The number of orders, kept by triggers on PostgreSQL, for the list's unfiltered views.

PostgreSQL counts by visiting every row (or index entry): 5 to 9 ms at 100,000 orders on each
page of the unfiltered list, found by `make bench`. SQLite counts a table from its b-tree's
page headers in about 1 ms, so it needs none. The triggers are per statement, with the rows a
statement inserted or deleted in a transition table: a sync's multi-row upsert adjusts the total
once, by the orders it inserted (the rows an ON CONFLICT clause updated are not in it).
Writers that insert or delete orders queue on the one row; the sync is the only bulk writer.
"""

from django.db import migrations

FORWARD = [
    """CREATE TABLE orders_order_total (
        one boolean PRIMARY KEY DEFAULT true CHECK (one), total bigint NOT NULL)""",
    "INSERT INTO orders_order_total (total) SELECT count(*) FROM orders_order",
    """CREATE FUNCTION orders_order_total_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            UPDATE orders_order_total SET total = total + (SELECT count(*) FROM inserted);
        ELSIF TG_OP = 'DELETE' THEN
            UPDATE orders_order_total SET total = total - (SELECT count(*) FROM deleted);
        ELSE  -- TRUNCATE, which a test database's flush uses
            UPDATE orders_order_total SET total = 0;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER orders_order_total_insert AFTER INSERT ON orders_order
        REFERENCING NEW TABLE AS inserted
        FOR EACH STATEMENT EXECUTE FUNCTION orders_order_total_count()""",
    """CREATE TRIGGER orders_order_total_delete AFTER DELETE ON orders_order
        REFERENCING OLD TABLE AS deleted
        FOR EACH STATEMENT EXECUTE FUNCTION orders_order_total_count()""",
    """CREATE TRIGGER orders_order_total_truncate AFTER TRUNCATE ON orders_order
        FOR EACH STATEMENT EXECUTE FUNCTION orders_order_total_count()""",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS orders_order_total_insert ON orders_order",
    "DROP TRIGGER IF EXISTS orders_order_total_delete ON orders_order",
    "DROP TRIGGER IF EXISTS orders_order_total_truncate ON orders_order",
    "DROP FUNCTION IF EXISTS orders_order_total_count()",
    "DROP TABLE IF EXISTS orders_order_total",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("orders", "0008_order_created_id")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
