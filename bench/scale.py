"""The scale run (`--scale N`): the queue, the order list by deadline and the CSV exports measured
at the default size and at N times it, in the same run, and the ratios of the two.

The queue is timed cold (Django's cache emptied before each request: its groups and totals are
read from the queue's rows), warm (a view repeated between two changes to the orders: they come
from the cache) and after a change (CHANGED orders stamped as changed before each request: the
view first derives their rows again); each is a row of its own, as is the time a whole
derivation of the queue's rows takes. Each export is streamed whole in a process of its own
(`python -m bench.stream`), so its peak RSS is the export's and not the bench's.
"""

import json
import random
import statistics
import time
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone

from bench.changelist import changelist_admin, sort_param
from bench.measure import percentile, time_page
from bench.report import Row
from bench.sync import python
from orders.models import Order, QueueSlice, Status
from orders.services.queue_rows import queue_rows_catch_up

RATIO_TARGET = 2.0
EXPORT_ROWS_PER_S = 50_000
EXPORT_PEAK_RSS_MB = 200
# The CSV exports streamed whole, unfiltered: one line each (name: path).
EXPORTS = {
    "queue CSV export": "/queue/export/",
    "order list CSV export": "/orders/export/",
}
QUEUE_VIEWS = {
    "queue: every group": {},
    "queue: filter country=CH": {"country": "CH"},
}
# Pending orders stamped as changed before each "after a change" request: about what a sync
# brings between two views of a busy queue.
CHANGED = 100


def _url(path: str, params: dict) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _each_after(client: Client, url: str, *, repeat: int, prepare) -> tuple[float, float]:
    """p50 and p95 ms of `url`, `prepare()` run (untimed) before each request."""
    seconds = []
    for _ in range(repeat):
        prepare()
        started = time.perf_counter()
        response = client.get(url)
        close_old_connections()
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}, not 200")
    return statistics.median(seconds) * 1000, percentile(seconds, 0.95) * 1000


def _cold(client: Client, url: str, *, repeat: int) -> tuple[float, float]:
    """p50 and p95 ms of `url` with Django's cache emptied before each request."""
    return _each_after(client, url, repeat=repeat, prepare=cache.clear)


def _after_changes(client: Client, url: str, *, repeat: int) -> tuple[float, float]:
    """p50 and p95 ms of `url`, each request after CHANGED pending orders were stamped as
    changed (as orders_store stamps them) and Django's cache emptied."""
    pending = list(
        Order.objects.filter(status=Status.PENDING).order_by("pk").values_list("pk", flat=True)
    )
    rng = random.Random(13)

    def change() -> None:
        picked = rng.sample(pending, min(CHANGED, len(pending)))
        Order.objects.filter(pk__in=picked).update(changed_at=timezone.now())
        cache.clear()

    return _each_after(client, url, repeat=repeat, prepare=change)


def _derived(label: str) -> Row:
    """The queue's rows derived afresh from the whole cache, timed."""
    started = time.perf_counter()
    tally = queue_rows_catch_up(rebuild=True)
    seconds = time.perf_counter() - started
    return Row(
        group="scale",
        name=f"{label}: queue rows derived afresh",
        value=f"{tally.groups:,} groups, {QueueSlice.objects.count():,} slices in {seconds:.1f} s",
        data={"seconds": seconds, "groups": tally.groups},
    )


def _timed(key: str, name: str, p50: float, p95: float, queries: int | None, url: str) -> Row:
    return Row(
        group="scale",
        name=name,
        p50_ms=p50,
        p95_ms=p95,
        queries=queries,
        data={"key": key, "url": url},
    )


def size_rows(*, client: Client, label: str, repeat: int, env: dict) -> list[Row]:
    """The scale run's figures at one size, named "<label>: ..."."""
    rows = [_derived(label)]
    for view, params in QUEUE_VIEWS.items():
        url = _url("/queue/", params)
        p50, p95 = _cold(client, url, repeat=repeat)
        rows.append(_timed(f"{view}, cold", f"{label}: {view}, cold", p50, p95, None, url))
        warm = time_page(client, url, repeat=repeat)
        name = f"{label}: {view}, warm (cached)"
        rows.append(_timed(f"{view}, warm", name, warm.p50_ms, warm.p95_ms, warm.queries, url))
        p50, p95 = _after_changes(client, url, repeat=repeat)
        key, name = f"{view}, after {CHANGED} orders changed", f"{label}: {view}, after change"
        rows.append(_timed(key, f"{name} ({CHANGED} orders)", p50, p95, None, url))
    rows.append(
        Row(group="scale", name=f"{label}: queue: admin equivalent", value="no admin equivalent")
    )

    model_admin = changelist_admin()
    now = timezone.now().replace(microsecond=0)
    ours = time_page(
        client, _url("/orders/", {"sort": "deadline", "deadline": "overdue"}), repeat=repeat
    )
    admin_params = {"o": sort_param(model_admin, "deadline", descending=False)}
    admin_params["deadline__lt"] = now.isoformat(sep=" ")
    theirs = time_page(client, _url("/admin/orders/order/", admin_params), repeat=repeat)
    view = "list: sort by deadline, filter overdue"
    row = _timed(view, f"{label}: {view}", ours.p50_ms, ours.p95_ms, ours.queries, ours.url)
    row.value = f"{ours.p50_ms / theirs.p50_ms:.2f}x admin"
    rows.append(row)
    view = "admin: sort by deadline, filter deadline before now"
    rows.append(
        _timed(view, f"{label}: {view}", theirs.p50_ms, theirs.p95_ms, theirs.queries, theirs.url)
    )

    for name, path in EXPORTS.items():
        rows.append(_export_row(name=name, path=path, label=label, env=env))
    return rows


def _export_row(*, name: str, path: str, label: str, env: dict) -> Row:
    output = python(["-m", "bench.stream", path], env=env)
    figures = json.loads(output.strip().splitlines()[-1])
    rate = figures["rows"] / figures["seconds"]
    again = figures["rows"] / figures["seconds_again"]
    rss = figures["peak_rss_mb"]
    # Judged on the first stream of a fresh process; the second is shown beside it.
    return Row(
        group="scale",
        name=f"{label}: {name}, whole",
        value=f"{figures['rows']:,} rows, {rate:,.0f} rows/s (again: {again:,.0f}), "
        f"peak RSS {rss:.0f} MB",
        target=f">= {EXPORT_ROWS_PER_S:,} rows/s, peak RSS < {EXPORT_PEAK_RSS_MB} MB",
        ok=rate >= EXPORT_ROWS_PER_S and rss < EXPORT_PEAK_RSS_MB,
        data={"key": name, "url": path, "rows_per_s": rate, "rows_per_s_again": again, **figures},
    )


def ratio_rows(small: list[Row], large: list[Row], *, scale: int) -> list[Row]:
    """The large figure over the small one for each timed page; the queue and the list have a
    target, the admin's ratio is there to compare with."""
    before = {row.data["key"]: row for row in small if row.p50_ms is not None}
    rows = []
    for row in large:
        if row.p50_ms is None or row.data.get("key") not in before:
            continue
        key = row.data["key"]
        ratio = row.p50_ms / before[key].p50_ms
        judged = not key.startswith("admin")
        rows.append(
            Row(
                group="scale",
                name=f"{scale}x / 1x: {key}",
                value=f"{ratio:.2f}x",
                target=f"p50 <= {RATIO_TARGET:g}x the 1x figure" if judged else "",
                ok=ratio <= RATIO_TARGET if judged else None,
                data={"key": key, "ratio": ratio, "scale": scale},
            )
        )
    return rows
