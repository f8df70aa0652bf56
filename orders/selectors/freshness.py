"""How fresh the cache is (the last syncs), and the change tokens open pages poll with."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from orders.models import Order, SyncRun


@dataclass(frozen=True)
class SyncFreshness:
    """How fresh the cache is, as every page's header says it."""

    last_success: SyncRun | None  # the latest run that finished with nothing failed
    latest: SyncRun | None  # the latest finished run, successful or not
    stale_after: timedelta
    now: datetime

    @property
    def stale(self) -> bool:
        """No successful sync within SYNC_STALE_AFTER: what the pages show may be out of date."""
        if self.last_success is None:
            return True
        return self.now - self.last_success.finished_at > self.stale_after

    @property
    def stale_after_minutes(self) -> int:
        return int(self.stale_after.total_seconds() // 60)

    @property
    def latest_failed(self) -> bool:
        return self.latest is not None and not self.latest.ok


def sync_freshness(*, now: datetime | None = None) -> SyncFreshness:
    """The last successful and the latest sync: one query while the latest went well."""
    finished = SyncRun.objects.filter(finished_at__isnull=False).order_by("-finished_at")
    latest = finished.first()
    last_success = latest
    if latest is not None and not latest.ok:
        last_success = finished.filter(failed=0, error="").first()
    return SyncFreshness(
        last_success=last_success,
        latest=latest,
        stale_after=timedelta(minutes=settings.SYNC_STALE_AFTER),
        now=now or timezone.now(),
    )


# Open pages poll "did anything change since <token>?": the token is Order.changed_at in
# microseconds since the epoch (0 for never), an integer that travels in a URL as it is.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def change_token(changed_at: datetime | None) -> int:
    return 0 if changed_at is None else (changed_at - _EPOCH) // _MICROSECOND


def orders_change_token(*, order_id: uuid.UUID | None = None) -> int:
    """The token of the latest change to any order (or to one): what an open page starts from.
    Read before the page's own queries, so a change in between shows up at the next poll."""
    orders = Order.objects.all() if order_id is None else Order.objects.filter(pk=order_id)
    return change_token(orders.aggregate(latest=Max("changed_at"))["latest"])


def orders_changed_since(*, since: int, order_id: uuid.UUID | None = None) -> int | None:
    """The token of the latest change after `since` to any order (or to one), None when nothing
    changed: one range read of the changed_at index."""
    orders = Order.objects.filter(changed_at__gt=_EPOCH + since * _MICROSECOND)
    if order_id is not None:
        orders = orders.filter(pk=order_id)
    latest = orders.aggregate(latest=Max("changed_at"))["latest"]
    return None if latest is None else change_token(latest)
