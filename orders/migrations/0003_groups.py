"""The two roles: support staff browse, account managers also fix and cancel."""

from django.db import migrations

SUPPORT = "Support staff"
MANAGERS = "Account managers"
VIEW = ["view_order", "view_suborder", "view_phonenumber", "view_requirementvalue",
        "view_requirementdefinition", "view_syncrun"]
WRITE = ["change_requirements", "cancel_suborder"]


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate; make sure they exist now.
    config = apps.get_app_config("orders")
    config.models_module = True  # the migration state's app stub lacks it
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(codenames):
        return Permission.objects.filter(content_type__app_label="orders", codename__in=codenames)

    support, _ = Group.objects.get_or_create(name=SUPPORT)
    support.permissions.add(*perms(VIEW))
    managers, _ = Group.objects.get_or_create(name=MANAGERS)
    managers.permissions.add(*perms(VIEW + WRITE))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[SUPPORT, MANAGERS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_search_index"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
