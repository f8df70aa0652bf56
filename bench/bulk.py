"""`python -m bench.bulk`: a bulk fix of 500 orders run by a real `manage.py db_worker` against
the sandbox with 20 ms latency on every request, compared with the ideal for its concurrency.

The sandbox serves from a thread of this process; its orders are copies of one pending order
waiting on a "Customer type", so that they make one queue group. The dashboard's commands run as
child processes on a database of their own (SQLite in a temporary directory, or --database-url).
The clock runs from the first request the sandbox receives to the moment the worker records the
fix finished; the ideal is perfect overlap: requests × latency ÷ BULK_FIX_CONCURRENCY.
Exits 1 when the time is over TARGET_RATIO × the ideal.
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.sync import ROOT, SANDBOX_KEY, CountedRequests, manage

TARGET_RATIO = 1.5
REFERENCE = "BENCH-BULK"

# `manage.py shell -c` code starting a bulk fix of the group (JSON: requirement_id, value,
# customer_reference, country, number_type, order_ids) as a manager; prints its id. The worker
# test uses it too.
START_FIX = """
import json, uuid
from django.contrib.auth.models import Group, User
from orders.models import RequirementDefinition
from orders.services.bulk_fixes import bulk_fix_start
group = json.loads({group!r})
user = User.objects.create_user("bench-manager")
user.groups.add(Group.objects.get(name="Account managers"))
bulk_fix = bulk_fix_start(
    user=user,
    requirement=RequirementDefinition.objects.get(pk=group["requirement_id"]),
    value=group["value"],
    customer_reference=group["customer_reference"],
    country=group["country"],
    number_type=group["number_type"],
    order_ids=[uuid.UUID(order_id) for order_id in group["order_ids"]],
)
print(bulk_fix.pk)
"""

FINISHED = """
from orders.models import BulkFix
bulk_fix = BulkFix.objects.get(pk={pk})
states = sorted(set(bulk_fix.items.values_list("state", flat=True)))
print(bulk_fix.finished_at.timestamp() if bulk_fix.finished_at else "", ",".join(states))
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk", description=__doc__)
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=int(os.environ.get("BULK_FIX_CONCURRENCY") or 8),
        help="BULK_FIX_CONCURRENCY (default: the setting's default, 8)",
    )
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--json", type=Path, help="also write the result there")
    return parser


def _finished(pk: int, env: dict, *, seconds: float) -> tuple[float, str]:
    """When the worker recorded the fix finished (epoch seconds), and its items' states."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = manage(["shell", "-v0", "-c", FINISHED.format(pk=pk)], env=env)
        finished_at, _, states = answer.partition(" ")
        if finished_at.strip():
            return float(finished_at), states.strip()
        time.sleep(0.5)
    raise RuntimeError(f"the bulk fix did not finish within {seconds:g} s")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _quiet_after_first_request(box, pid: int, *, seconds: float) -> float:
    """Waits, cheaply (asking the database costs a process), until the sandbox has heard
    nothing for a second after the worker's first request; answers the worker's CPU time when
    that first request arrived."""
    deadline = time.monotonic() + seconds
    cpu_at_start = _cpu_seconds(pid)
    while box.requests.first_at is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the worker sent nothing")
        cpu_at_start = _cpu_seconds(pid)
        time.sleep(0.01)
    seen, quiet_since = box.requests.total, time.monotonic()
    while time.monotonic() - quiet_since < 1.0:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the bulk fix did not finish within {seconds:g} s")
        time.sleep(0.05)
        if box.requests.total != seen:
            seen, quiet_since = box.requests.total, time.monotonic()
    return cpu_at_start


def run_bulk(*, orders: int, latency_ms: float, concurrency: int, database_url: str) -> dict:
    from sandbox.copies import orders_waiting_on
    from sandbox.server import Sandbox

    box = Sandbox(orders=20, seed=7, api_key=SANDBOX_KEY)
    waiting = orders_waiting_on(
        box, label="Customer type", count=orders, customer_reference=REFERENCE
    )
    group = waiting.__dict__ | {
        "value": "individual" if waiting.field_value == "business" else "business"
    }
    box.start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "DATABASE_URL": database_url,
        "TELNYX_API_BASE": box.url,
        "TELNYX_API_KEY": SANDBOX_KEY,
        "BULK_FIX_CONCURRENCY": str(concurrency),
    }
    worker = None
    try:
        manage(["migrate", "--no-input", "-v0"], env=env)
        manage(["sync_orders"], env=env)
        pk = int(manage(["shell", "-v0", "-c", START_FIX.format(group=json.dumps(group))], env=env))
        box.requests = CountedRequests()
        box.faults.latency = latency_ms / 1000
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        cpu_at_start = _quiet_after_first_request(box, worker.pid, seconds=600)
        cpu = _cpu_seconds(worker.pid) - cpu_at_start
        finished_at, states = _finished(pk, env, seconds=60)
        # first_at is on the perf_counter clock: the same moment on the wall clock.
        first_at = time.time() - (time.perf_counter() - box.requests.first_at)
        requests = box.requests.total
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        box.stop()
    seconds = finished_at - first_at
    ideal = requests * (latency_ms / 1000) / concurrency
    return {
        "orders": orders,
        "latency_ms": latency_ms,
        "concurrency": concurrency,
        "requests": requests,
        "seconds": round(seconds, 2),
        "ideal_seconds": round(ideal, 2),
        "ratio": round(seconds / ideal, 2),
        "worker_cpu_seconds": round(cpu, 2),
        "states": states,
        "database": database_url.partition(":")[0],
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as workdir:
        database_url = args.database_url or f"sqlite:///{Path(workdir) / 'bulk.sqlite3'}"
        result = run_bulk(
            orders=args.orders,
            latency_ms=args.latency_ms,
            concurrency=args.concurrency,
            database_url=database_url,
        )
    ok = result["ratio"] <= TARGET_RATIO and result["states"] == "done"
    print(
        f"bulk fix: {result['orders']} orders ({result['states']}), {result['latency_ms']:g} ms "
        f"latency, concurrency {result['concurrency']}: {result['requests']} requests in "
        f"{result['seconds']:.2f} s, ideal {result['ideal_seconds']:.2f} s, "
        f"ratio {result['ratio']:.2f} (target <= {TARGET_RATIO}) {'ok' if ok else 'MISSED'}; "
        f"the worker used {result['worker_cpu_seconds']:.2f} s of CPU meanwhile"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
