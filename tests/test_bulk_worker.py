"""Bulk fixes run by real `manage.py db_worker` processes: a job completes, and a worker killed
in the middle of it is replaced without any order being sent twice.

The worker processes cannot share the suite's in-memory test database, so this test gives them
a database file of their own, prepared and read through `manage.py` and sqlite3."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bench.bulk import START_FIX
from bench.sync import manage
from tests.helpers import SANDBOX_KEY, eventually, patches, sandbox_queue_group

ROOT = Path(__file__).resolve().parent.parent


class Site:
    """The dashboard's commands on a database file of their own, talking to the sandbox."""

    def __init__(self, tmp_path: Path, sandbox) -> None:
        self.database = tmp_path / "worker.sqlite3"
        self.logs = tmp_path
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        } | {
            "DJANGO_SETTINGS_MODULE": "ordersite.settings_test",
            "DATABASE_URL": f"sqlite:///{self.database}",
            "TELNYX_API_BASE": sandbox.url,
            "TELNYX_API_KEY": SANDBOX_KEY,
            "TELNYX_TIMEOUT": "2",
            "BULK_FIX_CONCURRENCY": "2",
            # A dead worker's fix is taken over this soon.
            "BULK_FIX_LEASE": "2",
        }
        self.workers: list[subprocess.Popen] = []

    def manage(self, *args: str) -> str:
        return manage(list(args), env=self.env)

    def start_worker(self) -> subprocess.Popen:
        log = (self.logs / f"worker-{len(self.workers)}.log").open("w")
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(worker)
        return worker

    def query(self, sql: str) -> list[tuple]:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(sql).fetchall()

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=10)


@pytest.fixture
def site(tmp_path, sandbox):
    site = Site(tmp_path, sandbox)
    yield site
    site.stop()


def test_a_worker_killed_mid_job_is_replaced_and_no_order_is_sent_twice(site, sandbox):
    group = sandbox_queue_group(sandbox, size=12)
    site.manage("migrate", "--no-input", "-v0")
    site.manage("sync_orders")
    bulk_fix_id = int(
        site.manage("shell", "-v0", "-c", START_FIX.format(group=json.dumps(group.__dict__)))
    )
    sandbox.requests.clear()
    # Slow enough that the worker is killed with sends under way.
    sandbox.faults.latency = 0.3

    first = site.start_worker()
    eventually(lambda: len(patches(sandbox)) >= 3, seconds=30)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = len(patches(sandbox))
    assert killed_at < len(group.order_ids), "the job ended before the worker was killed"

    site.start_worker()
    eventually(
        lambda: (
            site.query(f"SELECT status FROM orders_bulkfix WHERE id = {bulk_fix_id}")
            == [("finished",)]
        ),
        seconds=90,
    )

    states = dict(site.query("SELECT state, COUNT(*) FROM orders_bulkfixitem GROUP BY state"))
    assert states == {"done": len(group.order_ids)}
    sent = [request.path.rsplit("/", 1)[-1] for request in patches(sandbox)]
    assert sorted(sent) == sorted(group.order_ids)  # each order once, killed or not
    audited = site.query(
        "SELECT order_id, COUNT(*) FROM orders_auditentry WHERE action = 'update' GROUP BY order_id"
    )
    assert len(audited) == len(group.order_ids)
    assert {count for _, count in audited} == {1}
