"""The sync: every order Telnyx lists, fetched in worker threads and stored in batches."""

import itertools
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, suppress
from datetime import datetime, timedelta
from functools import partial
from queue import Empty, SimpleQueue
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from orders.locks import lease
from orders.models import Order, Status, SyncRun
from orders.services.addresses import addresses_sync
from orders.services.audit import audit_close_interrupted
from orders.services.comments import comments_sync
from orders.services.documents import documents_sync
from orders.services.fetch import order_fetch
from orders.services.queue_rows import queue_rows_catch_up
from orders.services.requirement_groups import requirement_groups_sync
from orders.services.store import (
    SyncOutcome,
    known_requirement_ids,
    order_mark_gone,
    orders_store,
)
from orders.services.telnyx_data import OrderRows, malformed, order_rows, parse_timestamp
from orders.services.telnyx_fields import FieldError, identifier, record
from orders.telnyx import TelnyxClient, TelnyxError, get_client

logger = logging.getLogger(__name__)


# How many orders the listing yields per page, and so how many cached rows one query loads.
LIST_PAGE_SIZE = 250
# At most this many fetched-but-not-stored orders per worker: memory stays flat however many
# orders Telnyx lists, and the workers never wait for the listing.
WINDOW_PER_WORKER = 6
# The sync stores once this many orders per worker are fetched. A batch costs a commit and a few
# statements whatever its size, so storing each order as it comes costs SQLite far more CPU than
# storing batches. The rest of the window keeps every worker busy while a batch is stored: with
# a smaller share of it left, they sat idle waiting for the calling thread.
BATCH_PER_WORKER = 2
# SyncRun.error keeps the first few messages; the log has all of them.
MAX_ERRORS_KEPT = 5


def _needs_refresh(listed: dict, cached: tuple[datetime, str, datetime | None] | None) -> bool:
    """New, changed since we stored it, still pending (requirements and numbers move without
    the listing telling), or marked gone: fetch it. Anything else is as we hold it."""
    if cached is None:
        return True
    updated_at, status, gone_at = cached
    listed_at = parse_timestamp(listed.get("updated_at"))
    return (
        listed_at is None
        or listed_at > updated_at
        or listed.get("status", status) == Status.PENDING
        or gone_at is not None
    )


class _Sync:
    """One sync run: walks the listing in the calling thread, fetches in a bounded pool of worker
    threads (one Telnyx client each), stores every result in the calling thread."""

    def __init__(
        self,
        *,
        run: SyncRun,
        workers: int,
        progress: Callable[[int, int | None], None] | None,
    ) -> None:
        self.run = run
        self.workers = workers
        self.window = workers * WINDOW_PER_WORKER
        self.batch = workers * BATCH_PER_WORKER
        self.progress = progress
        self.total: int | None = None
        self.done = 0
        self.errors: list[str] = []
        # Replaced, never changed: each fetch is handed the set as it was, without a copy.
        self.known = frozenset(known_requirement_ids())
        self.in_flight: set[UUID] = set()
        self.finished: SimpleQueue[tuple[UUID, Future[OrderRows]]] = SimpleQueue()
        self._local = threading.local()
        self._clients: list[TelnyxClient] = []
        self._clients_lock = threading.Lock()

    def execute(self, *, since: datetime | None, order_id: str | None) -> None:
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="telnyx-sync")
        try:
            with closing(get_client()) as lister:
                if order_id:
                    # Listed without a version, so it is always refetched.
                    self.total = 1
                    listing: Iterable[dict] = [{"id": order_id}]
                else:
                    listing = lister.list_number_orders(
                        created_after=since, page_size=LIST_PAGE_SIZE
                    )
                self._walk(listing, pool)
        except BaseException as error:
            self._note(f"sync aborted: {error!r}")
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            for client in self._clients:
                client.close()
            self.run.error = self._error_text()
            self.run.finished_at = timezone.now()
            self.run.save()

    def _walk(self, listing: Iterable[dict], pool: ThreadPoolExecutor) -> None:
        for page in self._pages(listing):
            ids = {}
            for listed in page:
                self.run.seen += 1
                try:
                    order_id = identifier(record(listed, "item").get("id"), "id")
                except FieldError as error:
                    self._failed(f"#{self.run.seen} of the listing", str(error))
                    continue
                if order_id in ids or order_id in self.in_flight:
                    # Listed twice: orders created meanwhile shift Telnyx's pages.
                    self._counted(SyncOutcome.UNCHANGED)
                else:
                    ids[order_id] = listed
            cached = {
                id_: rest
                for id_, *rest in Order.objects.filter(pk__in=list(ids)).values_list(
                    "id", "updated_at", "status", "gone_at"
                )
            }
            for id_, listed in ids.items():
                if _needs_refresh(listed, cached.get(id_)):
                    future = pool.submit(self._fetch, str(id_), self.known)
                    self.in_flight.add(id_)
                    future.add_done_callback(partial(self._done, id_))
                    if len(self.in_flight) >= self.window:
                        self._collect(at_least=self.batch)
                else:
                    self._counted(SyncOutcome.UNCHANGED)
        while self.in_flight:
            self._collect(at_least=self.batch)

    def _pages(self, listing: Iterable[dict]) -> Iterator[tuple[dict, ...]]:
        try:
            yield from itertools.batched(listing, LIST_PAGE_SIZE)
        except TelnyxError as error:
            # No more orders to walk; those already listed are still stored.
            logger.warning("sync: listing orders failed: %s", error)
            self._note(f"listing orders stopped: {error}")

    def _fetch(self, order_id: str, known: frozenset[UUID]) -> OrderRows:
        """Runs in a worker thread: network, and reading the answer, but no database. The
        reading overlaps with the calling thread's writes, which release the GIL."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = get_client()
            with self._clients_lock:
                self._clients.append(client)
        bundle = order_fetch(client=client, order_id=order_id, known_requirement_ids=known)
        with malformed(f"order {order_id}"):
            return order_rows(bundle)

    def _done(self, order_id: UUID, future: Future[OrderRows]) -> None:
        self.finished.put((order_id, future))

    def _collect(self, *, at_least: int) -> None:
        """Waits for `at_least` fetches (or all there are) to finish, then stores every one
        finished by now, together."""
        finished = [self.finished.get() for _ in range(min(at_least, len(self.in_flight)))]
        with suppress(Empty):
            while True:
                finished.append(self.finished.get_nowait())
        batch = []
        for id_, future in finished:
            self.in_flight.remove(id_)
            order_id = str(id_)
            try:
                batch.append((order_id, future.result()))
            except TelnyxError as error:
                if error.status == 404:
                    order_mark_gone(order_id=order_id)
                self._failed(order_id, str(error))
        self._store(batch)

    def _store(self, batch: list[tuple[str, OrderRows]]) -> None:
        if not batch:
            return
        try:
            outcomes = orders_store(batch=[rows for _, rows in batch], synced_at=timezone.now())
        except (DatabaseError, TelnyxError) as error:
            if len(batch) > 1:
                # One order refused (a number another order holds, or a value the database
                # will not take) must not cost the others: store them one by one to find it.
                for item in batch:
                    self._store([item])
                return
            if isinstance(error, DatabaseError):
                logger.exception("sync: storing order %s failed", batch[0][0])
            self._failed(batch[0][0], f"not stored: {error}")
            return
        for (_, rows), (_, outcome) in zip(batch, outcomes, strict=True):
            if rows.definitions:
                self.known = self.known.union(rows.definitions)
            self._counted(outcome)

    def _counted(self, outcome: SyncOutcome) -> None:
        if outcome == SyncOutcome.CREATED:
            self.run.created += 1
        elif outcome == SyncOutcome.UPDATED:
            self.run.updated += 1
        else:
            self.run.unchanged += 1
        self._advance()

    def _advance(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)

    def _failed(self, order_id: str, message: str) -> None:
        self.run.failed += 1
        logger.warning("sync: order %s failed: %s", order_id, message)
        self._note(f"order {order_id}: {message}")
        self._advance()

    def _note(self, message: str) -> None:
        self.errors.append(message)

    def _error_text(self) -> str:
        kept = self.errors[:MAX_ERRORS_KEPT]
        if len(self.errors) > MAX_ERRORS_KEPT:
            kept.append(f"... and {len(self.errors) - MAX_ERRORS_KEPT} more (see the log)")
        return "\n".join(kept)


def _paperwork_sync(run: SyncRun, *, order_id: str | None, keep_alive: Callable[[], None]) -> None:
    """After the orders: on a full sync the requirement groups (one request), the addresses
    (hourly) and the documents (their statuses move as Telnyx reviews them); then the comments
    on pending sub orders, whose threads Telnyx announces by no webhook. What fails is logged
    and added to the run's errors; the cache keeps what it held, and the next sync tries again.
    `keep_alive` before each step: walking a list or a few hundred threads on a slow Telnyx can
    outlast what is left of the lease, and another sync must not start meanwhile."""
    problems = []
    caches = (
        ("requirement groups", requirement_groups_sync),
        ("addresses", addresses_sync),
        ("documents", documents_sync),
    )
    for name, refresh in caches if order_id is None else ():
        keep_alive()
        try:
            seen = refresh()
        except (TelnyxError, DatabaseError) as error:
            logger.warning("sync: %s not refreshed: %s", name, error)
            problems.append(f"{name}: {error}")
        else:
            if seen is not None:
                logger.info("sync: %d %s cached", seen, name)
    keep_alive()
    comments = comments_sync(order_id=order_id)
    logger.info(
        "sync: comments of %d pending sub orders fetched, %d failed, %d left for the next sync",
        comments.fetched,
        comments.failed,
        comments.left,
    )
    if comments.failed:
        problems.append(f"comments: {comments.failed} thread(s) failed (see the log)")
    if problems:
        run.error = "\n".join(filter(None, [run.error, *problems]))
        run.save(update_fields=["error"])


# The lease that keeps two syncs, from wherever they were started, from running at once.
SYNC_LOCK = "sync"
# An attempt still pending this long after it began is not waiting any more: no request or job
# waits for Telnyx anywhere near as long, so its worker died. Each sync closes such entries.
INTERRUPTED_AFTER = timedelta(minutes=10)


def orders_sync(
    *,
    since: datetime | None = None,
    order_id: str | None = None,
    concurrency: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> SyncRun:
    """Brings the cache in step with Telnyx and records the run as a SyncRun.

    Walks every order created after `since` (or just `order_id`) and refetches those that are
    new, changed or still pending, `concurrency` at a time (TELNYX_SYNC_CONCURRENCY by default).
    An order that cannot be fetched or stored counts as failed and the sync goes on.
    `progress(done, total)` is called after each order; total is None when not known upfront.

    Raises orders.locks.LockHeld, having done nothing, while another sync is running, and
    LockLost (the run recorded as aborted) if this one stalled so long that another took over.
    """
    with lease(SYNC_LOCK) as held:

        def step(done: int, total: int | None) -> None:
            held.keep_alive()
            if progress is not None:
                progress(done, total)

        run = SyncRun.objects.create(started_at=timezone.now())
        audit_close_interrupted(before=run.started_at - INTERRUPTED_AFTER)
        sync = _Sync(
            run=run, workers=concurrency or settings.TELNYX_SYNC_CONCURRENCY, progress=step
        )
        sync.execute(since=since, order_id=order_id)
        _paperwork_sync(run, order_id=order_id, keep_alive=held.keep_alive)
    # The worker, rather than the next person to open the queue, derives what the sync changed.
    queue_rows_catch_up()
    logger.info(
        "sync: seen %d, created %d, updated %d, unchanged %d, failed %d",
        run.seen,
        run.created,
        run.updated,
        run.unchanged,
        run.failed,
    )
    return run
