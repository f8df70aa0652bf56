"""Telnyx's statuses are longer than the three its spec lists ("no-longer-eligible" is 18
characters): order, sub order and number statuses hold up to 32.

SQLite does not enforce a varchar's length, and rebuilding orders_order there would drop the
search triggers of 0007: the column changes on PostgreSQL only, the model state everywhere."""

from django.db import migrations, models

import orders.models.cache

TABLES = ("orders_order", "orders_suborder", "orders_phonenumber")


def widen(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN status TYPE varchar(32)")


def status_field():
    return models.CharField(max_length=32, choices=orders.models.cache.Status.choices)


class Migration(migrations.Migration):
    dependencies = [("orders", "0017_bulk_fixes")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name=name, name="status", field=status_field())
                for name in ("order", "suborder", "phonenumber")
            ],
            database_operations=[migrations.RunPython(widen, migrations.RunPython.noop)],
        )
    ]
