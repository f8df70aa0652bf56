"""Bulk fixes: one value for one requirement sent to the chosen orders of a queue group by a
background worker, each order audited and cached exactly as a single fix is (`order_update`'s
pieces), at most once, sharing Telnyx's rate limit."""

import hashlib
import logging
from collections.abc import Iterable
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.locks import LockHeld, lease_acquire, lease_held
from orders.models import (
    BulkFix,
    BulkFixItem,
    BulkFixStatus,
    ItemState,
    RequirementDefinition,
)
from orders.selectors.queue_scope import queue_group_orders
from orders.services.bulk_runs import BulkFixRun
from orders.services.fetch import client_scope
from orders.services.throttle import JobThrottle
from orders.telnyx import TelnyxClient

logger = logging.getLogger(__name__)


class BulkFixRefused(Exception):
    """A bulk fix not started or retried. `message` says why; `running` is the identical fix
    already under way when that is the reason."""

    def __init__(self, message: str, *, running: BulkFix | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.running = running


def _lease_duration() -> timedelta:
    return timedelta(seconds=settings.BULK_FIX_LEASE)


def _lease_name(bulk_fix_id: int) -> str:
    return f"bulk fix {bulk_fix_id}"


def group_key(
    *, requirement_id: UUID, value: str, customer_reference: str, country: str, number_type: str
) -> str:
    """What makes two bulk fixes the same: requirement, queue group and value."""
    parts = [str(requirement_id), country, number_type, customer_reference, value]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _running_twin(key: str) -> BulkFixRefused:
    running = BulkFix.objects.filter(group_key=key, status=BulkFixStatus.RUNNING).first()
    who = f" by {running.username}" if running else ""
    return BulkFixRefused(
        f"This same fix is already running for this group (started{who}): nothing new was "
        "started, follow that one.",
        running=running,
    )


def _enqueue_run(bulk_fix_id: int, *, watch: bool = True) -> None:
    from orders import tasks  # the tasks call this module

    tasks.bulk_fix_run.enqueue(bulk_fix_id)
    if watch:
        later = timezone.now() + _lease_duration()
        tasks.bulk_fix_watch.using(run_after=later).enqueue(bulk_fix_id)


def bulk_fix_start(
    *,
    user: AbstractBaseUser,
    requirement: RequirementDefinition,
    value: str,
    customer_reference: str,
    country: str,
    number_type: str,
    order_ids: Iterable[UUID],
) -> BulkFix:
    """Records a bulk fix of the chosen orders that are (still) in the queue group and queues it
    for a worker. Raises BulkFixRefused when none is, or when the same fix (requirement, group
    and value) is running already."""
    group = set(
        queue_group_orders(
            customer_reference=customer_reference,
            country=country,
            number_type=number_type,
            requirement_id=requirement.pk,
        )
    )
    chosen = [order_id for order_id in dict.fromkeys(order_ids) if order_id in group]
    if not chosen:
        raise BulkFixRefused(
            "None of the chosen orders waits on this requirement any more: nothing was started."
        )
    key = group_key(
        requirement_id=requirement.pk,
        value=value,
        customer_reference=customer_reference,
        country=country,
        number_type=number_type,
    )
    try:
        with transaction.atomic():
            bulk_fix = BulkFix.objects.create(
                user=user,
                username=user.get_username(),
                requirement_id=requirement.pk,
                requirement_label=requirement.label,
                value=value,
                customer_reference=customer_reference,
                country_code=country,
                number_type=number_type,
                group_key=key,
            )
            BulkFixItem.objects.bulk_create(
                BulkFixItem(bulk_fix=bulk_fix, order_id=order_id) for order_id in chosen
            )
    except IntegrityError:
        raise _running_twin(key) from None
    _enqueue_run(bulk_fix.pk)
    logger.info("%s started by %s: %d orders", bulk_fix, bulk_fix.username, len(chosen))
    return bulk_fix


def bulk_fix_retry_failures(*, bulk_fix: BulkFix, user: AbstractBaseUser) -> int:
    """Queues the failed orders of a bulk fix again (an order whose last send may have reached
    Telnyx is checked before it is sent) and answers how many. Raises BulkFixRefused when none
    failed, or when the same fix has been started again meanwhile."""
    with transaction.atomic():
        count = bulk_fix.items.filter(state=ItemState.FAILED).update(
            state=ItemState.QUEUED, finished_at=None
        )
        if not count:
            raise BulkFixRefused("No order of this bulk fix failed: there is nothing to retry.")
        try:
            with transaction.atomic():
                BulkFix.objects.filter(pk=bulk_fix.pk).update(
                    status=BulkFixStatus.RUNNING, finished_at=None
                )
        except IntegrityError:
            raise _running_twin(bulk_fix.group_key) from None
    _enqueue_run(bulk_fix.pk)
    logger.info("%s: %s retries %d orders", bulk_fix, user.get_username(), count)
    return count


def bulk_fix_watch(*, bulk_fix_id: int) -> None:
    """The safety net behind a worker that dies during a run (its task is never finished): while
    the fix is unfinished, queues a new run whenever nobody holds its lease, and looks again a
    lease later. A run queued twice finds the lease taken or nothing left, and does nothing."""
    unfinished = BulkFix.objects.filter(pk=bulk_fix_id, status=BulkFixStatus.RUNNING).exists()
    if not unfinished:
        return
    from orders import tasks  # the tasks call this module

    if not lease_held(_lease_name(bulk_fix_id)):
        logger.warning("bulk fix %s: no worker holds it, queuing it again", bulk_fix_id)
        tasks.bulk_fix_run.enqueue(bulk_fix_id)
    tasks.bulk_fix_watch.using(run_after=timezone.now() + _lease_duration()).enqueue(bulk_fix_id)


def _abandon(bulk_fix: BulkFix) -> None:
    """Ends a fix whose manager's account was deleted: its attempts could not be audited."""
    bulk_fix.items.filter(state__in=[ItemState.QUEUED, ItemState.SENDING]).update(
        state=ItemState.FAILED,
        message="The account that started this fix is gone: start it again to send this order.",
        finished_at=timezone.now(),
    )
    BulkFix.objects.filter(pk=bulk_fix.pk).update(
        status=BulkFixStatus.FINISHED, finished_at=timezone.now()
    )


def bulk_fix_run(
    *,
    bulk_fix_id: int,
    client: TelnyxClient | None = None,
    throttle: JobThrottle | None = None,
) -> bool:
    """Sends a bulk fix's queued orders, BULK_FIX_CONCURRENCY at once, for up to RUN_SLICE
    seconds (a BulkFixRun), then queues its own continuation. Answers whether the fix is
    finished; False as well when another worker is running it (it holds the lease)."""
    try:
        held = lease_acquire(_lease_name(bulk_fix_id), duration=_lease_duration())
    except LockHeld as held_elsewhere:
        logger.info("bulk fix %s: %s", bulk_fix_id, held_elsewhere)
        return False
    try:
        bulk_fix = BulkFix.objects.select_related("user").get(pk=bulk_fix_id)
        if bulk_fix.user is None:
            _abandon(bulk_fix)
            return True
        throttle = throttle or JobThrottle(bulk_fix.not_before)
        with client_scope(client) as telnyx:
            left = BulkFixRun(bulk_fix, client=telnyx, throttle=throttle, held=held).go()
    finally:
        held.release()
    if left:
        _enqueue_run(bulk_fix_id, watch=False)
    return not left
