from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0010_requirementvalue_one_index'),
    ]

    operations = [
        migrations.RenameModel(old_name='SyncLock', new_name='Lease'),
    ]
