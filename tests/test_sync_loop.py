"""`manage.py sync_orders --loop SECONDS`: sync after sync, surviving failures, until stopped;
and what a sync does when another one holds the lease."""

import logging
import os
import signal

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError

from orders.locks import lease_acquire
from orders.management.commands import sync_orders
from orders.models import Lease, Order, SyncRun
from orders.services import sync

# Transactional: the loop closes the connections the database dropped between rounds, which,
# inside a test's transaction, would end that transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def summary_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("synced: ")]


def test_loop_syncs_round_after_round_printing_each_summary(telnyx_settings, sandbox, capsys):
    call_command("sync_orders", loop=0, rounds=3)

    lines = summary_lines(capsys.readouterr().out)
    assert len(lines) == 3
    assert lines[0].startswith("synced: seen 20, created 20, updated 0")
    assert SyncRun.objects.count() == 3
    assert not Lease.objects.exists()


def test_loop_goes_on_after_a_round_that_raised(telnyx_settings, sandbox, monkeypatch, capsys):
    calls = []

    def flaky_sync(**options):
        calls.append(options)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return sync.orders_sync(**options)

    monkeypatch.setattr(sync_orders, "orders_sync", flaky_sync)

    call_command("sync_orders", loop=0, rounds=2)

    assert len(calls) == 2
    assert len(summary_lines(capsys.readouterr().out)) == 1
    assert Order.objects.count() == 20


def test_loop_logs_the_error_of_a_round_that_raised(telnyx_settings, monkeypatch, caplog):
    def broken_sync(**options):
        raise OperationalError("database is down")

    monkeypatch.setattr(sync_orders, "orders_sync", broken_sync)

    with caplog.at_level(logging.ERROR):
        call_command("sync_orders", loop=0, rounds=2)

    failures = [r for r in caplog.records if r.name == sync_orders.__name__]
    assert len(failures) == 2
    assert "database is down" in failures[0].exc_text


def test_loop_survives_telnyx_being_unreachable(telnyx_settings, sandbox, capsys, caplog):
    sandbox.stop()

    call_command("sync_orders", loop=0, rounds=2)

    lines = summary_lines(capsys.readouterr().out)
    assert len(lines) == 2
    assert all(not run.ok for run in SyncRun.objects.all())
    assert "listing orders stopped" in SyncRun.objects.first().error


def test_loop_skips_a_round_while_another_sync_holds_the_lease(telnyx_settings, sandbox, capsys):
    other = lease_acquire(sync.SYNC_LOCK)

    call_command("sync_orders", loop=0, rounds=2)

    out = capsys.readouterr().out
    assert out.count("skipped: ") == 2
    assert other.holder in out
    assert not SyncRun.objects.exists()


def test_sigterm_stops_the_loop_mid_sync_releasing_the_lease(
    telnyx_settings, sandbox, monkeypatch, capsys
):
    previous_handler = signal.getsignal(signal.SIGTERM)
    rounds = []

    def sync_terminated_midway(**options):
        rounds.append(options)

        def progress(done, total):
            if len(rounds) == 2 and done == 5:
                os.kill(os.getpid(), signal.SIGTERM)

        return sync.orders_sync(**options, progress=progress)

    monkeypatch.setattr(sync_orders, "orders_sync", sync_terminated_midway)

    call_command("sync_orders", loop=0, rounds=5)

    assert len(rounds) == 2
    out = capsys.readouterr().out
    assert out.endswith("sync loop stopped\n")
    assert len(summary_lines(out)) == 1
    aborted = SyncRun.objects.order_by("-started_at").first()
    assert "sync aborted" in aborted.error
    assert not Lease.objects.exists()
    assert signal.getsignal(signal.SIGTERM) is previous_handler


def test_single_sync_while_another_holds_the_lease_exits_75_and_records_nothing(
    telnyx_settings, sandbox
):
    other = lease_acquire(sync.SYNC_LOCK)

    with pytest.raises(CommandError) as refused:
        call_command("sync_orders")

    assert refused.value.returncode == sync_orders.EXIT_SKIPPED == 75
    assert "already running" in str(refused.value)
    assert other.holder in str(refused.value)
    assert not SyncRun.objects.exists()
    assert sandbox.requests == []


@pytest.mark.parametrize(
    "options",
    [{"loop": -1}, {"rounds": 2}, {"loop": 0, "rounds": 0}],
    ids=["negative-interval", "rounds-without-loop", "zero-rounds"],
)
def test_bad_loop_options_are_refused(options):
    with pytest.raises(CommandError):
        call_command("sync_orders", **options)
