"""The sync's lease: two syncs never run at once, on SQLite as on PostgreSQL."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from orders import locks
from orders.locks import LockHeld, LockLost, lease, lease_acquire
from orders.models import Lease, Order, SyncRun
from orders.services import sync

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def test_second_acquirer_is_refused_naming_the_holder():
    first = lease_acquire("job")

    with pytest.raises(LockHeld) as refused:
        lease_acquire("job")

    assert refused.value.holder == first.holder
    assert first.holder in str(refused.value)
    assert Lease.objects.get().holder == first.holder


def test_leases_on_different_names_do_not_exclude_each_other():
    lease_acquire("job")

    other = lease_acquire("other job")

    assert Lease.objects.get(name="other job").holder == other.holder


def test_released_lease_can_be_taken_again():
    with lease("job"):
        pass

    again = lease_acquire("job")

    assert Lease.objects.get().holder == again.holder


def test_lease_is_released_when_the_work_fails():
    with pytest.raises(RuntimeError), lease("job"):
        raise RuntimeError("boom")

    assert not Lease.objects.exists()


def test_expired_lease_is_taken_over():
    crashed = lease_acquire("job", now=timezone.now() - timedelta(hours=1))

    taker = lease_acquire("job")

    row = Lease.objects.get()
    assert row.holder == taker.holder != crashed.holder
    assert row.expires_at > timezone.now()


def test_lease_not_yet_expired_is_not_taken_over():
    lease_acquire("job", duration=timedelta(minutes=10), now=timezone.now() - timedelta(minutes=9))

    with pytest.raises(LockHeld):
        lease_acquire("job")


def test_holder_whose_lease_was_taken_over_loses_it_and_does_not_release_the_new_one():
    crashed = lease_acquire("job", now=timezone.now() - timedelta(hours=1))
    taker = lease_acquire("job")

    with pytest.raises(LockLost):
        crashed.renew()
    crashed.release()

    assert Lease.objects.get().holder == taker.holder


def test_keep_alive_renews_only_once_half_the_lease_is_gone():
    start = timezone.now()
    held = lease_acquire("job", duration=timedelta(minutes=10), now=start)

    held.keep_alive(now=start + timedelta(minutes=4))
    assert Lease.objects.get().expires_at == start + timedelta(minutes=10)

    held.keep_alive(now=start + timedelta(minutes=6))
    assert Lease.objects.get().expires_at == start + timedelta(minutes=16)


def test_sync_is_refused_while_another_holds_the_lease_and_does_nothing(telnyx_settings, sandbox):
    other = lease_acquire(sync.SYNC_LOCK)

    with pytest.raises(LockHeld) as refused:
        sync.orders_sync()

    assert refused.value.holder == other.holder
    assert not SyncRun.objects.exists()
    assert not Order.objects.exists()
    assert sandbox.requests == []


def test_sync_releases_the_lease_when_done(telnyx_settings, sandbox):
    sync.orders_sync()

    assert not Lease.objects.exists()
    assert sync.orders_sync().ok


def test_sync_releases_the_lease_when_it_fails(telnyx_settings, monkeypatch):
    def no_client():
        raise RuntimeError("cannot make a client")

    monkeypatch.setattr(sync, "get_client", no_client)

    with pytest.raises(RuntimeError):
        sync.orders_sync()

    assert not Lease.objects.exists()
    assert "sync aborted" in SyncRun.objects.get().error


def test_sync_takes_over_the_lease_of_a_crashed_sync(telnyx_settings, sandbox):
    lease_acquire(sync.SYNC_LOCK, now=timezone.now() - timedelta(hours=1))

    assert sync.orders_sync().created == 20
    assert not Lease.objects.exists()


def lock_expiry():
    return Lease.objects.get(name=sync.SYNC_LOCK).expires_at


def test_sync_renews_its_lease_as_it_goes(telnyx_settings, sandbox, monkeypatch):
    # A lease already due for renewal at every step.
    monkeypatch.setattr(locks, "DEFAULT_LEASE", timedelta(0))
    expiries = []

    sync.orders_sync(progress=lambda done, total: expiries.append(lock_expiry()))

    assert len(expiries) == 20
    assert expiries == sorted(expiries)
    assert len(set(expiries)) == 20


def test_sync_renews_its_lease_between_the_orders_and_the_paperwork(
    telnyx_settings, sandbox, monkeypatch
):
    monkeypatch.setattr(locks, "DEFAULT_LEASE", timedelta(0))
    expiries = []
    comments_sync = sync.comments_sync

    def comments_after_the_orders(**kwargs):
        expiries.append(("comments", lock_expiry()))
        return comments_sync(**kwargs)

    monkeypatch.setattr(sync, "comments_sync", comments_after_the_orders)

    sync.orders_sync(progress=lambda done, total: expiries.append(("orders", lock_expiry())))

    (_, last_order), (step, comments) = expiries[-2:]
    assert step == "comments"
    assert comments > last_order


def test_sync_whose_lease_was_taken_over_stops_and_leaves_the_lease_alone(
    telnyx_settings, sandbox, monkeypatch
):
    monkeypatch.setattr(locks, "DEFAULT_LEASE", timedelta(0))

    def taken_over_after_three(done, total):
        if done == 3:
            Lease.objects.update(holder="another host", expires_at=timezone.now())

    with pytest.raises(LockLost):
        sync.orders_sync(concurrency=1, progress=taken_over_after_three)

    assert Lease.objects.get().holder == "another host"
    run = SyncRun.objects.get()
    assert "sync aborted" in run.error
    assert not run.ok


# Each racer is a process of its own, as two cron jobs or a cron job and a loop would be: it sets
# Django up, connects, waits for the start line on stdin, then tries for the lease once.
RACER = """
import sys
import django
django.setup()
from django.db import connection
from orders.locks import LockHeld, lease_acquire
connection.ensure_connection()
print("ready", flush=True)
sys.stdin.readline()
try:
    print("won", lease_acquire("job").holder, flush=True)
except LockHeld as error:
    print("held", error.holder, flush=True)
"""


def _database_url(tmp_path) -> str:
    """The test database as the racers reach it. SQLite's test database lives in memory, out of
    other processes' reach: the racers get a migrated file of their own (with the production
    settings: WAL, IMMEDIATE transactions, a busy timeout)."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
        return f"postgres://{user}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        env={**os.environ, "DATABASE_URL": url},
        cwd=ROOT,
        check=True,
    )
    return url


@pytest.mark.django_db(transaction=True)
def test_of_processes_racing_for_the_lease_exactly_one_gets_it(tmp_path):
    env = {**os.environ, "DATABASE_URL": _database_url(tmp_path)}
    env["DJANGO_SETTINGS_MODULE"] = "ordersite.settings"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for _ in range(4)
    ]
    for racer in racers:
        assert racer.stdout.readline() == "ready\n"
    for racer in racers:
        racer.stdin.write("go\n")
        racer.stdin.flush()
    outcomes = []
    for racer in racers:
        out, _ = racer.communicate(timeout=60)
        assert racer.returncode == 0
        outcomes.append(out.split())

    winners = [holder for outcome, holder, *_ in outcomes if outcome == "won"]
    assert len(winners) == 1
    assert sorted(outcome for outcome, *_ in outcomes) == ["held", "held", "held", "won"]
