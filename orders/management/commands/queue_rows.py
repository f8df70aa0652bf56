"""`manage.py queue_rows [--rebuild]`: brings the queue's rows up to the cache, or derives them
afresh from it (after restoring a backup, or to repair rows a slow writer left behind)."""

import time

from django.core.management.base import BaseCommand

from orders.services.queue_rows import queue_rows_catch_up


class Command(BaseCommand):
    help = "Brings the queue's rows up to the cached orders (--rebuild: derives them afresh)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild", action="store_true", help="derive every order's rows afresh"
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        tally = queue_rows_catch_up(rebuild=options["rebuild"])
        self.stdout.write(
            f"queue: groups {tally.groups}, values {tally.values}, numbers {tally.numbers},"
            f" orders {tally.orders} ({time.perf_counter() - started:.1f} s)"
        )
