"""Order.unread_comments (Telnyx's comments not yet read, counted from the cached comments) and
SubOrder.comments_synced_at (when the sync last fetched its thread).

The count is added by ALTER TABLE rather than Django's AddField: on SQLite, AddField of a NOT NULL
column rebuilds the table, which drops the triggers migration 0007 keeps the reference search
index with. With a constant default, both databases add the column in place.
"""

from django.db import migrations, models

ADD_COUNT = (
    'ALTER TABLE "orders_order" ADD COLUMN "unread_comments" integer DEFAULT 0 NOT NULL{check}'
)
DROP_COUNT = 'ALTER TABLE "orders_order" DROP COLUMN "unread_comments"'


def _add_count(apps, schema_editor):
    # SQLite cannot drop a column a CHECK constraint names: the check is PostgreSQL's only.
    check = ' CHECK ("unread_comments" >= 0)' if schema_editor.connection.vendor != "sqlite" else ""
    schema_editor.execute(ADD_COUNT.format(check=check))


def _drop_count(apps, schema_editor):
    schema_editor.execute(DROP_COUNT)


class Migration(migrations.Migration):
    dependencies = [("orders", "0013_audit_pending")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="order",
                    name="unread_comments",
                    field=models.PositiveIntegerField(db_default=0),
                ),
            ],
            database_operations=[migrations.RunPython(_add_count, _drop_count)],
        ),
        migrations.AddField(
            model_name="suborder",
            name="comments_synced_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
