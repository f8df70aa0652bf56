"""One worker's run of a bulk fix, for up to RUN_SLICE seconds under the fix's lease: it claims
queued orders in chunks, sends them from a pool of threads (network only), and records each
outcome (cache, audit entry, item state) from its own thread; an order whose earlier send may
have reached Telnyx is checked there before it is sent again."""

import logging
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from orders.locks import HeldLease
from orders.models import BulkFix, BulkFixItem, BulkFixStatus, ItemState, Order
from orders.services.actions import ActionFailed
from orders.services.bulk_updates import (
    UpdatePlan,
    UpdateSent,
    update_applied,
    update_confirmed,
    update_plans,
    update_record,
    update_send,
)
from orders.services.store import known_requirement_ids, orders_store
from orders.services.telnyx_data import malformed, order_rows
from orders.services.throttle import JobThrottle
from orders.telnyx import TelnyxClient, TelnyxError

logger = logging.getLogger(__name__)

# A run gives its worker back after this long and goes on in a new task, so that webhook events
# (queued with a higher priority) are not held up behind a long bulk fix.
RUN_SLICE = 30.0


# What a pool thread's attempt ends with: Telnyx's answer, its error, or None (nothing sent).
SendOutcome = UpdateSent | TelnyxError | None


def _refusal(failed: ActionFailed) -> str:
    texts = [text for texts in failed.problems.values() for text in texts]
    return "; ".join(texts) if texts else failed.message


class _LeaseRanOut(Exception):
    """The run's lease ran out while a send waited (its worker stalled): another worker may have
    taken the fix over, and counts on this one sending nothing after it ran out."""


class BulkFixRun:
    """One worker's slice of a bulk fix: it holds the fix's lease throughout."""

    def __init__(
        self, bulk_fix: BulkFix, *, client: TelnyxClient, throttle: JobThrottle, held: HeldLease
    ) -> None:
        self.bulk_fix = bulk_fix
        self.items = BulkFixItem.objects.filter(bulk_fix=bulk_fix)
        self.client = client
        self.throttle = throttle
        self.held = held
        client.rate_limited = self._paused
        self.known = known_requirement_ids()
        self.saved_not_before = bulk_fix.not_before
        self.deadline = time.monotonic() + RUN_SLICE

    def go(self) -> bool:
        """Sends what is queued until the slice is over; answers whether orders are left."""
        # Whatever is still "sending" now was left by a run that died or stalled. Its sends all
        # began before its lease ran out (see _may_send), so before we took the lease: now.
        self.items.filter(state=ItemState.SENDING).update(
            state=ItemState.QUEUED, unsure=True, unsure_since=timezone.now()
        )
        concurrency = settings.BULK_FIX_CONCURRENCY
        renew_every = self.held.duration.total_seconds() / 4
        pending: dict[Future, tuple[BulkFixItem, UpdatePlan]] = {}
        with ThreadPoolExecutor(concurrency, thread_name_prefix="bulk-fix") as pool:
            while True:
                # Claimed in chunks, up to twice the pool's threads: the sends go on while
                # this thread records a batch, and each chunk costs the same few queries.
                if time.monotonic() < self.deadline and len(pending) <= concurrency:
                    for item, plan in self._claim(2 * concurrency - len(pending)):
                        since = (item.unsure_since or timezone.now()) if item.unsure else None
                        future = pool.submit(self._attempt, plan, unsure_since=since)
                        pending[future] = (item, plan)
                if not pending:
                    break
                finished, _ = wait(pending, timeout=renew_every, return_when=FIRST_COMPLETED)
                ended = [(*pending.pop(future), future.result()) for future in finished]
                # An attempt that sent nothing (None) stays "sending", for the next run.
                sent = [(item, plan, result) for item, plan, result in ended if result is not None]
                if sent:
                    self._record(sent)
                self._save_throttle()
                self.held.keep_alive()
        left = self.items.filter(state__in=[ItemState.QUEUED, ItemState.SENDING]).exists()
        if not left:
            BulkFix.objects.filter(pk=self.bulk_fix.pk).update(
                status=BulkFixStatus.FINISHED, finished_at=timezone.now()
            )
        return left

    def _attempt(self, plan: UpdatePlan, *, unsure_since: datetime | None) -> SendOutcome:
        """One order's send, in a pool thread (network only). An order whose earlier send may
        have reached Telnyx unrecorded is fetched first, once that send is surely over, and not
        sent again when it holds the value already. None: nothing was sent (see _may_send)."""
        client = self.client
        try:
            if unsure_since is not None:
                self.throttle.wait_until(unsure_since + timedelta(seconds=client.timeout))
                self.throttle.wait()
                current = client.get_number_order(str(plan.order.pk))
                if update_applied(plan=plan, answer=current):
                    return update_confirmed(
                        plan=plan, client=client, known=self.known, answer=current
                    )
            self.throttle.wait()
            self._may_send()
            return update_send(plan=plan, client=client, known=self.known)
        except TelnyxError as error:
            return error
        except _LeaseRanOut:
            logger.warning("bulk fix %s: lease ran out, %s not sent", self.bulk_fix.pk, plan.order)
            return None

    def _paused(self, seconds: float) -> None:
        """The client's wait before sending again after a 429: the job's shared back-off."""
        self.throttle.pause(seconds)
        self._may_send()

    def _may_send(self) -> None:
        """Raises _LeaseRanOut once the lease has run out: a worker that takes the fix over
        checks, a Telnyx timeout after it took it, every order left "sending" (go)."""
        if self.throttle.clock() >= self.held.expires_at:
            raise _LeaseRanOut

    def _claim(self, count: int) -> list[tuple[BulkFixItem, UpdatePlan]]:
        """The next queued items, marked as being sent (as they were before: `unsure` and
        `unsure_since` tell whether an earlier send must be checked), with their plans."""
        claimed = list(self.items.filter(state=ItemState.QUEUED).order_by("id")[:count])
        ids = [item.pk for item in claimed]
        self.items.filter(id__in=ids, state=ItemState.QUEUED).update(
            state=ItemState.SENDING, attempts=F("attempts") + 1
        )
        orders = Order.objects.in_bulk([item.order_id for item in claimed])
        for item in claimed:
            if item.order_id not in orders:
                self._finish(item, ItemState.REFUSED, "The order is no longer in the cache.")
        claimed = [item for item in claimed if item.order_id in orders]
        plans = update_plans(
            orders=[orders[item.order_id] for item in claimed],
            changes={self.bulk_fix.requirement_id: self.bulk_fix.value},
        )
        return list(zip(claimed, plans, strict=True))

    def _record(self, finished: list[tuple[BulkFixItem, UpdatePlan, UpdateSent | TelnyxError]]):
        """Caches the orders Telnyx answered for, all at once, then audits each attempt and
        records its item, in one transaction: a worker dying in between leaves neither entry
        nor state, and the order is checked at Telnyx before anything is sent again."""
        stored = self._store([result for _, _, result in finished])
        ended: dict[tuple[ItemState, str, bool], list[int]] = {}
        with transaction.atomic():
            for item, plan, result in finished:
                was_stored = plan.order.pk in stored
                try:
                    update_record(
                        plan=plan, user=self.bulk_fix.user, result=result, stored=was_stored
                    )
                except ActionFailed as failed:
                    state = ItemState.FAILED if failed.retryable else ItemState.REFUSED
                    unsure = failed.error is not None and failed.error.outcome_unknown
                    outcome = (state, _refusal(failed), unsure)
                else:
                    outcome = (ItemState.DONE, "", False)
                ended.setdefault(outcome, []).append(item.pk)
            now = timezone.now()
            for (state, message, unsure), ids in ended.items():
                self.items.filter(pk__in=ids).update(
                    state=state,
                    message=message,
                    unsure=unsure,
                    unsure_since=now if unsure else None,
                    finished_at=now,
                )

    def _store(self, results: list[UpdateSent | TelnyxError]) -> set[UUID]:
        """Caches the orders of the successful sends with one orders_store (the same few
        statements for many orders as for one); answers the ids cached."""
        batch = []
        for result in results:
            if isinstance(result, UpdateSent) and result.bundle is not None:
                try:
                    with malformed(f"order {result.answer.get('id')}"):
                        batch.append(order_rows(result.bundle))
                except TelnyxError as error:
                    logger.warning("bulk fix %s: %s", self.bulk_fix.pk, error)
        if not batch:
            return set()
        try:
            orders_store(batch=batch, synced_at=timezone.now())
        except DatabaseError as error:
            logger.warning("bulk fix %s: caching its orders failed: %s", self.bulk_fix.pk, error)
            return set()
        return {rows.order["id"] for rows in batch}

    def _finish(self, item: BulkFixItem, state: ItemState, message: str) -> None:
        self.items.filter(pk=item.pk).update(
            state=state, message=message, unsure=False, finished_at=timezone.now()
        )

    def _save_throttle(self) -> None:
        if self.throttle.not_before != self.saved_not_before:
            self.saved_not_before = self.throttle.not_before
            BulkFix.objects.filter(pk=self.bulk_fix.pk).update(not_before=self.saved_not_before)
