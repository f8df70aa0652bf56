from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("orders", "0019_queue_rows")]

    operations = [
        migrations.RenameField(model_name="bulkfixitem", old_name="sent_at", new_name="unsure_since")
    ]
