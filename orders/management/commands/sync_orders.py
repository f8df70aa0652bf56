"""`manage.py sync_orders`: brings the order cache in step with Telnyx (cron runs it)."""

from datetime import datetime
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from orders.services import orders_sync


def _since(value: str) -> datetime:
    """A date (from midnight) or an ISO 8601 datetime; local time unless it names an offset."""
    try:
        parsed = parse_datetime(value)
        if parsed is None and (day := parse_date(value)) is not None:
            parsed = datetime(day.year, day.month, day.day)
    except ValueError:
        parsed = None
    if parsed is None:
        raise CommandError(
            f"--since: expected a date (YYYY-MM-DD) or an ISO 8601 datetime, got {value!r}"
        )
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _order_id(value: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise CommandError(f"--order: expected a number order id (UUID), got {value!r}") from None


class ProgressBar:
    """One line redrawn in place on a terminal: `[#####.....] 120/250`, or `orders: 120` while
    the total is unknown."""

    WIDTH = 30

    def __init__(self, out: OutputWrapper) -> None:
        self.out = out
        self.drawn = False

    def __call__(self, done: int, total: int | None) -> None:
        if total:
            filled = self.WIDTH * min(done, total) // total
            line = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total}"
        else:
            line = f"orders: {done}"
        self.out.write(f"\r{line}", ending="")
        self.out.flush()
        self.drawn = True

    def close(self) -> None:
        """Ends the bar's line so that what follows starts on its own."""
        if self.drawn:
            self.out.write("")


class Command(BaseCommand):
    help = (
        "Refresh the local cache from Telnyx: every order that is new, changed or still "
        "pending. Exits non-zero when anything failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--order", metavar="ID", help="refresh only this number order")
        parser.add_argument(
            "--since",
            metavar="WHEN",
            help="only orders created after this date (YYYY-MM-DD) or ISO 8601 datetime",
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            metavar="N",
            help="orders fetched at once (default: TELNYX_SYNC_CONCURRENCY)",
        )

    def handle(self, *args, order=None, since=None, concurrency=None, **options) -> None:
        # Checked here rather than by argparse types, which call_command() keywords bypass.
        since = None if since is None else _since(since)
        order = None if order is None else _order_id(order)
        if concurrency is not None and concurrency < 1:
            raise CommandError(f"--concurrency: expected at least 1, got {concurrency}")
        bar = ProgressBar(self.stdout) if self.stdout.isatty() else None
        try:
            run = orders_sync(since=since, order_id=order, concurrency=concurrency, progress=bar)
        finally:
            if bar is not None:
                bar.close()
        elapsed = (run.finished_at - run.started_at).total_seconds()
        self.stdout.write(
            f"synced: seen {run.seen}, created {run.created}, updated {run.updated}, "
            f"unchanged {run.unchanged}, failed {run.failed} in {elapsed:.1f}s"
        )
        if not run.ok:
            raise CommandError(f"the sync did not complete cleanly:\n{run.error}")
