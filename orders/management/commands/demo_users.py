"""`manage.py demo_users`: the demo's three users, in demo mode only."""

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError

DEMO_USERS = [
    ("support", "Support staff", False),
    ("manager", "Account managers", False),
    ("admin", "Account managers", True),
]


class Command(BaseCommand):
    help = "Creates the demo users support, manager and admin with password 'demo' (demo only)."

    def handle(self, *args, **options):
        # Not DEBUG: a development machine's database may be a copy of production's.
        if not settings.DEMO_MODE:
            raise CommandError(
                "demo_users gives known users the password 'demo': it runs in demo mode only "
                "(set DEMO_MODE=1)"
            )
        for username, group, is_admin in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.set_password("demo")
            user.is_staff = user.is_superuser = is_admin
            user.save()
            user.groups.set([Group.objects.get(name=group)])
        self.stdout.write("demo users: support, manager, admin (password: demo)")
