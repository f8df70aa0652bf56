"""In-process page timings: the list, the admin changelist beside it, search, the order page.

Each page is fetched through Django's test client (the whole middleware stack, templates
included), once to warm up, once under `CaptureQueriesContext` for its query count, then
`repeat` times on the clock with query capture off, so the count costs nothing in the timings.
The test client keeps the database connection open across requests; the server closes it after
each one unless CONN_MAX_AGE says otherwise, so each timed request ends as the server's would.
"""

import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.changelist import changelist_admin, sort_param
from bench.report import Row
from orders.models import Order, PhoneNumber

LIST_TARGET_MS = 25.0
ADMIN_RATIO = 0.5
SEARCH_TARGET_MS = 30.0
ORDER_TARGET_MS = 60.0
# The queue aggregates every value still to act on across all pending orders, where a list page
# reads 50 rows.
QUEUE_TARGET_MS = 150.0


@dataclass
class Timing:
    url: str
    p50_ms: float
    p95_ms: float
    queries: int
    bytes: int
    repeat: int


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def page_row(timing: Timing, *, group: str, name: str, target_ms: float, value: str = "") -> Row:
    """A page's row, judged on its p50 against `target_ms`."""
    return Row(
        group=group,
        name=name,
        p50_ms=timing.p50_ms,
        p95_ms=timing.p95_ms,
        queries=timing.queries,
        value=value,
        target=f"p50 <= {target_ms:g} ms",
        ok=timing.p50_ms <= target_ms,
        data={"url": timing.url, "bytes": timing.bytes, "repeat": timing.repeat},
    )


def time_page(client: Client, url: str, *, repeat: int, headers: dict | None = None) -> Timing:
    headers = headers or {}
    response = client.get(url, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}, not 200")
    with CaptureQueriesContext(connection) as queries:
        client.get(url, headers=headers)
    # Read now: the captured list is a window on a log that the next request clears.
    query_count = len(queries)
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url, headers=headers)
        close_old_connections()
        seconds.append(time.perf_counter() - started)
    return Timing(
        url=url,
        p50_ms=statistics.median(seconds) * 1000,
        p95_ms=percentile(seconds, 0.95) * 1000,
        queries=query_count,
        bytes=len(response.content),
        repeat=repeat,
    )


@dataclass
class Probes:
    """Values from the built data that the searches and the order page look for."""

    e164: str
    last_four: str
    middle: str
    reference: str
    order_id: str
    big_order_id: str
    small_order_id: str


def find_probes(*, big_order_id: str) -> Probes:
    count = PhoneNumber.objects.count()
    number = PhoneNumber.objects.order_by("id")[count // 3]
    digits = number.digits
    referenced = Order.objects.exclude(customer_reference="").order_by("created_at")[
        Order.objects.count() // 2
    ]
    # A piece from inside the reference, as someone would type it from an email.
    reference = referenced.customer_reference
    piece = reference[1 : max(len(reference) - 2, 6)]
    small = Order.objects.filter(phone_numbers_count=3).order_by("created_at").first()
    return Probes(
        e164=number.phone_number,
        last_four=digits[-4:],
        middle=digits[len(digits) // 2 - 3 : len(digits) // 2 + 2],
        reference=piece,
        order_id=str(referenced.id),
        big_order_id=big_order_id,
        small_order_id=str((small or referenced).id),
    )


def _url(path: str, params: dict | None = None) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def page_rows(
    *,
    client: Client,
    probes: Probes,
    list_path: str,
    list_params: Callable[[str], dict],
    order_path: Callable[[str], str],
    page_size: int,
    deep_page: int,
    repeat: int,
) -> list[Row]:
    """Times the list (and the admin equivalent of each view of it), search and the order page.

    `list_params(kind)` maps a kind ("default", "status", "unmet", "country", "number_type",
    "created", "sort", "deep", "search") to the list page's query parameters for it.
    """
    model_admin = changelist_admin()
    model_admin.list_per_page = page_size
    admin_params = {
        "default": {},
        "status": {"status__exact": "pending"},
        "unmet": {"requirements_met__exact": "0"},
        "country": {"country": "CH"},
        "number_type": {"phone_number_type": "toll_free"},
        "created": {
            "created_at__gte": "2025-12-01 00:00:00+00:00",
            "created_at__lt": "2026-01-01 00:00:00+00:00",
        },
        "sort": {"o": sort_param(model_admin, "phone_numbers_count", descending=True)},
        "deep": {"p": deep_page},
    }
    labels = {
        "default": "default view (newest first)",
        "status": "filter status=pending",
        "unmet": "filter requirements not met",
        "country": "filter country=CH",
        "number_type": "filter number type=toll_free",
        "created": "filter created in December 2025",
        "sort": "sort by most numbers",
        "deep": f"deep page {deep_page}",
    }
    rows: list[Row] = []
    list_rows: list[Row] = []
    for kind, label in labels.items():
        ours = time_page(client, _url(list_path, list_params(kind)), repeat=repeat)
        theirs = time_page(client, _url("/admin/orders/order/", admin_params[kind]), repeat=repeat)
        ratio = ours.p50_ms / theirs.p50_ms
        row = Row(
            group="list",
            name=f"list: {label}",
            p50_ms=ours.p50_ms,
            p95_ms=ours.p95_ms,
            queries=ours.queries,
            value=f"{ratio:.2f}x admin",
            target=f"p50 <= {LIST_TARGET_MS:g} ms, <= {ADMIN_RATIO}x admin",
            ok=ours.p50_ms <= LIST_TARGET_MS and ratio <= ADMIN_RATIO,
            data={"url": ours.url, "bytes": ours.bytes, "admin_ratio": ratio, "repeat": repeat},
        )
        list_rows.append(row)
        rows.append(row)
        rows.append(
            Row(
                group="admin",
                name=f"admin: {label}",
                p50_ms=theirs.p50_ms,
                p95_ms=theirs.p95_ms,
                queries=theirs.queries,
                data={"url": theirs.url, "bytes": theirs.bytes, "repeat": repeat},
            )
        )
    swap = time_page(
        client, _url(list_path, list_params("deep")), repeat=repeat, headers={"HX-Request": "true"}
    )
    rows.append(
        page_row(
            swap, group="list", name="list: htmx table swap (deep page)", target_ms=LIST_TARGET_MS
        )
    )
    counts = sorted({row.queries for row in list_rows})
    rows.append(
        Row(
            group="list",
            name="list: queries whatever the view",
            queries=counts[-1],
            value="fixed" if len(counts) == 1 else f"varies {counts}",
            target="one fixed count",
            ok=len(counts) == 1,
        )
    )

    searches = {
        "full E.164 number": probes.e164,
        "last four digits": probes.last_four,
        "digits from the middle": probes.middle,
        "customer reference": probes.reference,
        "order id": probes.order_id,
    }
    for label, q in searches.items():
        timing = time_page(client, _url(list_path, list_params("search") | {"q": q}), repeat=repeat)
        rows.append(
            page_row(
                timing,
                group="search",
                name=f"search: {label}",
                target_ms=SEARCH_TARGET_MS,
                value=f"q={q}",
            )
        )

    big = time_page(client, order_path(probes.big_order_id), repeat=repeat)
    small = time_page(client, order_path(probes.small_order_id), repeat=repeat)
    big_count = Order.objects.get(pk=probes.big_order_id).phone_numbers_count
    rows.append(
        page_row(
            big,
            group="order",
            name=f"order page: {big_count} numbers",
            target_ms=ORDER_TARGET_MS,
            value=f"{big.bytes / 1024:.0f} KB HTML",
        )
    )
    rows.append(
        Row(
            group="order",
            name="order page: 3 numbers",
            p50_ms=small.p50_ms,
            p95_ms=small.p95_ms,
            queries=small.queries,
            value="same queries" if small.queries == big.queries else "queries differ",
            target="queries as for the big order",
            ok=small.queries == big.queries,
            data={"url": small.url, "bytes": small.bytes, "repeat": repeat},
        )
    )
    return rows


def queue_rows(*, client: Client, repeat: int) -> list[Row]:
    """Times the queue, unfiltered and filtered, and the order list by deadline."""
    pages = {
        "queue: every group (nearest deadline first)": ("/queue/", {}, QUEUE_TARGET_MS),
        "queue: overdue only": ("/queue/", {"deadline": "overdue"}, QUEUE_TARGET_MS),
        "queue: declined only, country=CH": (
            "/queue/",
            {"declined_only": "on", "country": "CH"},
            QUEUE_TARGET_MS,
        ),
        "list: sort by deadline": ("/orders/", {"sort": "deadline"}, LIST_TARGET_MS),
        "list: filter deadline overdue": ("/orders/", {"deadline": "overdue"}, LIST_TARGET_MS),
    }
    rows = []
    for name, (path, params, target) in pages.items():
        timing = time_page(client, _url(path, params), repeat=repeat)
        rows.append(
            page_row(
                timing,
                group="queue",
                name=name,
                target_ms=target,
                value=f"{timing.bytes / 1024:.0f} KB HTML",
            )
        )
    return rows


def profile_misses(
    *, client: Client, rows: list[Row], directory: Path, label: str, repeat: int = 20
) -> list[Path]:
    """A pyinstrument profile of each in-process page that missed its target, as text."""
    from pyinstrument import Profiler

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for row in rows:
        if row.ok is not False or "url" not in row.data:
            continue
        profiler = Profiler(interval=0.0005)
        with profiler:
            for _ in range(repeat):
                client.get(row.data["url"])
                close_old_connections()
        slug = re.sub(r"[^a-z0-9]+", "-", row.name.lower()).strip("-")
        path = directory / f"{label}-{slug}.txt"
        heading = f"GET {row.data['url']} x {repeat}\n"
        path.write_text(heading + profiler.output_text(show_all=False))
        written.append(path)
    return written


def every_page(
    *, admin, big_order_id: str, orders: int, repeat: int, profile: Path | None, label: str
) -> list[Row]:
    """The list and its admin twin, search, the order page and the queue; with `profile`, a
    pyinstrument profile of each page that misses its target."""
    from orders import views

    client = Client()
    client.force_login(admin)
    probes = find_probes(big_order_id=big_order_id)
    last_page = -(-orders // views.PAGE_SIZE)
    params = {
        "default": {},
        "status": {"status": "pending"},
        "unmet": {"requirements_met": "no"},
        "country": {"country": "CH"},
        "number_type": {"number_type": "toll_free"},
        "created": {"created_from": "2025-12-01", "created_to": "2025-12-31"},
        "sort": {"sort": "-numbers"},
        "deep": {"page": min(1000, last_page)},
        "search": {},
    }
    rows = page_rows(
        client=client,
        probes=probes,
        list_path="/orders/",
        list_params=params.__getitem__,
        order_path=lambda order_id: f"/orders/{order_id}/",
        page_size=views.PAGE_SIZE,
        deep_page=params["deep"]["page"],
        repeat=repeat,
    )
    rows += queue_rows(client=client, repeat=repeat)
    if profile:
        for path in profile_misses(client=client, rows=rows, directory=profile, label=label):
            print(f"  profile: {path}", flush=True)
    return rows
