"""The sync against the sandbox over loopback HTTP, with latency added to every request.

The sandbox serves from a thread of the bench process; `manage.py sync_orders` runs as a child
process into an empty database of its own. Its peak RSS is the kernel's high-water mark of the
child's own address space (VmHWM), sampled while it runs: the rusage `ru_maxrss` of a child also
counts the parent's pages it was forked with, here the bench with the whole sandbox in memory.
Every request the sandbox answers is counted, retries included; the ideal time is what perfect
overlap would take: requests × latency ÷ concurrency.
"""

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.report import Row

ROOT = Path(__file__).resolve().parent.parent
EFFICIENCY_TARGET = 0.8
RSS_TARGET_MB = 200
# "Flat": the larger run may use this much more memory than the smaller one, for noise.
RSS_GROWTH_ALLOWED = 1.25
SANDBOX_KEY = "bench-sandbox-key"


class CountedRequests(list):
    """The sandbox keeps only its latest requests; this also counts every one ever recorded,
    and notes when the first arrived (the sync's clock starts there, after its start-up)."""

    total = 0
    first_at: float | None = None

    def append(self, item) -> None:
        if self.first_at is None:
            self.first_at = time.perf_counter()
        self.total += 1
        super().append(item)


class _PeakRss(threading.Thread):
    """Samples a running process's VmHWM (the peak since its exec) until it exits."""

    INTERVAL = 0.05

    def __init__(self, pid: int, *, program: bytes):
        super().__init__(daemon=True)
        self.proc = Path(f"/proc/{pid}")
        self.program = program
        self.peak_kib = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.INTERVAL):
            try:
                # Until its exec the child still shows the bench's own image: skip that.
                if self.program not in (self.proc / "cmdline").read_bytes():
                    continue
                text = (self.proc / "status").read_text()
            except OSError:  # exited between two samples
                return
            for line in text.splitlines():
                if line.startswith("VmHWM:"):
                    self.peak_kib = max(self.peak_kib, int(line.split()[1]))


@dataclass
class SyncResult:
    orders: int
    requests: int
    seconds: float  # from the first request to the end of the sync process
    startup_seconds: float  # interpreter, Django and the first query, before any request
    cpu_seconds: float  # user + system time of the sync process
    sandbox_cpu_seconds: float  # the sandbox's share of the two cores meanwhile
    ideal_seconds: float
    efficiency: float
    orders_per_second: float
    peak_rss_mb: float
    concurrency: int
    latency_ms: float
    outcome: str


def run_sync(
    *, orders: int, latency_ms: float, concurrency: int, env: dict, database_url: str, seed: int = 7
) -> SyncResult:
    """Syncs `orders` sandbox orders into the empty database at `database_url`."""
    from sandbox.server import Sandbox

    box = Sandbox(orders=orders, seed=seed, api_key=SANDBOX_KEY, latency=latency_ms / 1000)
    box.requests = CountedRequests()
    box.start()
    try:
        child_env = {
            **env,
            "DATABASE_URL": database_url,
            "TELNYX_API_BASE": box.url,
            "TELNYX_API_KEY": SANDBOX_KEY,
            "TELNYX_SYNC_CONCURRENCY": str(concurrency),
        }
        manage(["migrate", "--no-input"], env=child_env)
        started = time.perf_counter()
        # The bench's own thread only waits from here on: its CPU time is the sandbox's.
        sandbox_cpu = time.process_time()
        process = subprocess.Popen(
            [sys.executable, "manage.py", "sync_orders", "--concurrency", str(concurrency)],
            cwd=ROOT,
            env=child_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        peak = _PeakRss(process.pid, program=b"sync_orders")
        peak.start()
        output = process.stdout.read().decode(errors="replace")
        # wait4: the CPU time of this one child.
        _, status, usage = os.wait4(process.pid, 0)
        ended = time.perf_counter()
        peak.done.set()
        peak.join()
        sandbox_cpu = time.process_time() - sandbox_cpu
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise RuntimeError(f"sync_orders exited with {process.returncode}:\n{output[-4000:]}")
        requests = box.requests.total
        first_at = box.requests.first_at or started
    finally:
        box.stop()
    seconds = ended - first_at
    ideal = requests * (latency_ms / 1000) / concurrency
    return SyncResult(
        orders=orders,
        requests=requests,
        seconds=round(seconds, 2),
        startup_seconds=round(first_at - started, 2),
        cpu_seconds=round(usage.ru_utime + usage.ru_stime, 2),
        sandbox_cpu_seconds=round(sandbox_cpu, 2),
        ideal_seconds=round(ideal, 2),
        efficiency=round(ideal / seconds, 3) if seconds else 0.0,
        orders_per_second=round(orders / seconds, 1),
        peak_rss_mb=round(peak.peak_kib / 1024, 1),
        concurrency=concurrency,
        latency_ms=latency_ms,
        outcome=output.strip().splitlines()[-1] if output.strip() else "",
    )


def python(arguments: list[str], *, env: dict) -> str:
    """Runs this Python with `arguments` in the project; answers what it printed, raises when
    it failed."""
    finished = subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed:\n{finished.stderr[-4000:]}")
    return finished.stdout


def manage(arguments: list[str], *, env: dict) -> str:
    return python(["manage.py", *arguments], env=env)


def sync_rows(results: list[SyncResult]) -> list[Row]:
    rows = []
    base = results[0]
    for result in results:
        flat = result.peak_rss_mb <= base.peak_rss_mb * RSS_GROWTH_ALLOWED
        ok = result.efficiency >= EFFICIENCY_TARGET and result.peak_rss_mb <= RSS_TARGET_MB and flat
        target = f"efficiency >= {EFFICIENCY_TARGET}, RSS <= {RSS_TARGET_MB} MB"
        if result is not base:
            target += f", RSS <= {RSS_GROWTH_ALLOWED}x the {base.orders:,}-order run"
        rows.append(
            Row(
                group="sync",
                name=f"sync: {result.orders:,} orders, {result.latency_ms:g} ms latency",
                value=(
                    f"{result.orders_per_second:.0f} orders/s, efficiency "
                    f"{result.efficiency:.2f} ({result.requests:,} requests in "
                    f"{result.seconds:.1f} s, ideal {result.ideal_seconds:.1f} s), "
                    f"peak RSS {result.peak_rss_mb:.0f} MB"
                ),
                target=target,
                ok=ok,
                data=result.__dict__,
            )
        )
    return rows


def sync_measured(
    *, orders: int, latency_ms: float, concurrency: int, env: dict, target: str | Path
) -> list[Row]:
    """Syncs `orders`, then four times as many, each into an empty `target` (a PostgreSQL URL
    or an SQLite file), and returns their rows."""
    from bench.databases import pg_recreate, sqlite_remove

    results = []
    for count in (orders, 4 * orders):
        if isinstance(target, Path):
            sqlite_remove(target)
            sync_url = f"sqlite:///{target}"
        else:
            pg_recreate(target, keep=False)
            sync_url = target
        print(f"  syncing {count:,} orders from the sandbox", flush=True)
        results.append(
            run_sync(
                orders=count,
                latency_ms=latency_ms,
                concurrency=concurrency,
                env=env,
                database_url=sync_url,
            )
        )
    return sync_rows(results)
