"""`manage.py sync_orders`: brings the order cache in step with Telnyx (cron runs it, or it
runs itself with --loop)."""

import gc
import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import close_old_connections
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from orders.locks import LockHeld, LockLost
from orders.models import SyncRun
from orders.services.sync import orders_sync

logger = logging.getLogger(__name__)

# Another sync holds the lease: nothing went wrong, try later (sysexits' EX_TEMPFAIL).
EXIT_SKIPPED = 75
# Allocations between two runs of the cyclic garbage collector (Python's default: 700).
GC_THRESHOLD = 50_000


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


def summary(run: SyncRun) -> str:
    elapsed = (run.finished_at - run.started_at).total_seconds()
    return (
        f"synced: seen {run.seen}, created {run.created}, updated {run.updated}, "
        f"unchanged {run.unchanged}, failed {run.failed} in {elapsed:.1f}s"
    )


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (systemd stopping the service) stops the loop as Ctrl-C does: the sync under way
    is abandoned, its lease released and its run recorded as aborted."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Command(BaseCommand):
    help = (
        "Refresh the local cache from Telnyx: every order that is new, changed or still "
        "pending. Exits non-zero when anything failed (75 when another sync is running), "
        "or with --loop keeps syncing until stopped."
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
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="keep running: sync, wait SECONDS, sync again, until SIGTERM or Ctrl-C; a "
            "failed sync is logged and the next one goes ahead",
        )
        parser.add_argument(
            "--rounds", type=int, metavar="N", help="with --loop: stop after N syncs"
        )

    def run_from_argv(self, argv: list[str]) -> None:
        """As its own process (manage.py; call_command() does not come here): a sync allocates
        a few hundred thousand short-lived dicts per thousand orders, none of them in cycles,
        and the cyclic collector ran every 700 of them, rescanning all of Django's long-lived
        objects each time it reached the oldest generation (8% of the sync's CPU)."""
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD)
        super().run_from_argv(argv)

    def handle(
        self,
        *args,
        order=None,
        since=None,
        concurrency=None,
        loop=None,
        rounds=None,
        **options,
    ) -> None:
        # Checked here rather than by argparse types, which call_command() keywords bypass.
        since = None if since is None else _since(since)
        order = None if order is None else _order_id(order)
        if concurrency is not None and concurrency < 1:
            raise CommandError(f"--concurrency: expected at least 1, got {concurrency}")
        if loop is not None and loop < 0:
            raise CommandError(f"--loop: expected a number of seconds, got {loop}")
        if rounds is not None and (loop is None or rounds < 1):
            raise CommandError("--rounds: expected at least 1, and only with --loop")
        sync_options = {"since": since, "order_id": order, "concurrency": concurrency}
        if loop is not None:
            self.run_loop(every=loop, rounds=rounds, **sync_options)
            return
        bar = ProgressBar(self.stdout) if self.stdout.isatty() else None
        try:
            run = orders_sync(**sync_options, progress=bar)
        except LockHeld as held:
            raise CommandError(f"skipped: {held}", returncode=EXIT_SKIPPED) from None
        except LockLost as lost:
            raise CommandError(f"aborted: {lost}") from None
        finally:
            if bar is not None:
                bar.close()
        self.stdout.write(summary(run))
        if not run.ok:
            raise CommandError(f"the sync did not complete cleanly:\n{run.error}")

    def run_loop(self, *, every: float, rounds: int | None, **sync_options) -> None:
        """Sync after sync, `every` seconds apart, until interrupted or after `rounds` syncs.

        Whatever one round raises is logged and the next round goes ahead: a daemon that died on
        a database restart or an unforeseen answer would leave the cache silently ageing.
        """
        done = 0
        with sigterm_as_interrupt():
            try:
                while True:
                    # A long-lived process must drop connections the database closed meanwhile.
                    close_old_connections()
                    self.run_round(**sync_options)
                    close_old_connections()
                    done += 1
                    if rounds is not None and done >= rounds:
                        break
                    time.sleep(every)
            except KeyboardInterrupt:
                self.stdout.write("sync loop stopped")

    def run_round(self, **sync_options) -> None:
        try:
            run = orders_sync(**sync_options)
        except LockHeld as held:
            self.stdout.write(f"skipped: {held}")
        except Exception:
            logger.exception("sync failed; the next round goes ahead")
        else:
            self.stdout.write(summary(run))
            if not run.ok:
                logger.warning("the sync did not complete cleanly:\n%s", run.error)
