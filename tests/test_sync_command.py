"""`manage.py sync_orders`: options, the progress bar, the summary line and the exit code."""

import io
import re
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from orders.models import Order, SyncRun

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(
    r"synced: seen (\d+), created (\d+), updated (\d+), unchanged (\d+), failed (\d+) "
    r"in \d+\.\ds\n"
)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def summary(text: str) -> tuple[int, ...]:
    """The counts on the one summary line, which must be the whole output."""
    found = SUMMARY.fullmatch(text)
    assert found, f"not just a summary line: {text!r}"
    return tuple(int(count) for count in found.groups())


def test_sync_prints_one_summary_line_and_no_progress_off_a_terminal(
    telnyx_settings, sandbox, capsys
):
    call_command("sync_orders")

    out = capsys.readouterr().out
    assert summary(out) == (20, 20, 0, 0, 0)
    assert SyncRun.objects.get().ok


def test_progress_bar_is_drawn_on_a_terminal_then_the_summary(telnyx_settings, sandbox):
    terminal = Terminal()

    call_command("sync_orders", stdout=terminal)

    bar, _, last = terminal.getvalue().rpartition("\n")
    assert last == ""
    drawn, _, summary_line = bar.rpartition("\n")
    assert drawn.startswith("\rorders: 1\r")
    assert drawn.endswith("\rorders: 20")
    assert summary(summary_line + "\n") == (20, 20, 0, 0, 0)


def test_progress_bar_fills_when_the_total_is_known(telnyx_settings, sandbox):
    terminal = Terminal()

    call_command("sync_orders", "--order", next(iter(sandbox.orders)), stdout=terminal)

    assert terminal.getvalue().startswith(f"\r[{'#' * 30}] 1/1\nsynced: seen 1,")


def test_failure_exits_non_zero_after_the_summary(telnyx_settings, sandbox, capsys):
    broken = next(iter(sandbox.orders))
    sandbox.faults.order_faults[broken] = "500"

    with pytest.raises(CommandError) as raised:
        call_command("sync_orders")

    assert summary(capsys.readouterr().out) == (20, 19, 0, 0, 1)
    assert broken in str(raised.value)


def test_failure_gives_exit_status_one_from_the_command_line(telnyx_settings, sandbox, capsys):
    sandbox.faults.order_faults[next(iter(sandbox.orders))] = "404"

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "sync_orders"]).execute()

    assert exited.value.code == 1
    assert "failed 1" in capsys.readouterr().out


def test_order_option_refreshes_just_that_order(telnyx_settings, sandbox, capsys):
    order_id = list(sandbox.orders)[3]

    call_command("sync_orders", "--order", order_id)

    assert summary(capsys.readouterr().out) == (1, 1, 0, 0, 0)
    assert [str(pk) for pk in Order.objects.values_list("id", flat=True)] == [order_id]


@pytest.mark.parametrize("since", ["2026-11-10", "2026-11-10T00:00:00+00:00"])
def test_since_takes_a_date_or_a_datetime(telnyx_settings, sandbox, capsys, since):
    midnight = datetime(2026, 11, 10, tzinfo=UTC)  # TIME_ZONE is UTC in the tests
    newer = [
        order
        for order in sandbox.orders.values()
        if datetime.fromisoformat(order["created_at"]) > midnight
    ]

    call_command("sync_orders", f"--since={since}")

    seen, created, *_ = summary(capsys.readouterr().out)
    assert 0 < seen == created == len(newer) < 20


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("--since=last tuesday", "--since: expected a date (YYYY-MM-DD) or an ISO 8601 datetime"),
        ("--since=2026-13-45", "--since: expected a date"),
        ("--order=42", "--order: expected a number order id (UUID)"),
        ("--concurrency=0", "--concurrency: expected at least 1"),
    ],
)
def test_bad_options_are_refused_before_anything_runs(argument, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("sync_orders", argument)

    assert not SyncRun.objects.exists()
