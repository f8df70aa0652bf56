"""The bench's load figures as locust reports them: a run in which no request finished (a loaded
machine) has no times, and the report says "not measured" rather than crashing or showing 0."""

import subprocess
from pathlib import Path

import pytest

from bench import load
from bench.report import markdown, rows_to_json, table

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)
# What locust 2 writes when no request finished before the run ended (the server answered
# later than the run lasted): a count of 0, zeros for the plain times, "N/A" for percentiles.
NOTHING_FINISHED = ",Aggregated,0,0,0,0.0,0,0,0,0.0,0.0," + ",".join(["N/A"] * 11)
MEASURED = (
    "GET,order list,120,0,38,41.5,12,210,15000,11.9,0.0,38,44,50,55,80,120,150,180,210,210,210\n"
    ",Aggregated,120,0,38,41.5,12,210,15000,11.9,0.0,38,44,50,55,80,120,150,180,210,210,210"
)


@pytest.fixture
def locust_writes(monkeypatch):
    """`locust_writes(rows)`: the locust process, faked, writes these stats rows and exits."""

    def fake(rows: str):
        def run(command, **kwargs):
            prefix = command[command.index("--csv") + 1]
            Path(f"{prefix}_stats.csv").write_text(f"{HEADER}\n{rows}\n")
            return subprocess.CompletedProcess(command, 0, "", "")

        monkeypatch.setattr(subprocess, "run", run)

    return fake


def _run(**changes) -> load.LoadResult:
    options = {
        "base_url": "http://127.0.0.1:9",
        "sessions": ["s1", "s2"],
        "clients": 2,
        "seconds": 2,
        "think_ms": 50,
        "path": "/orders/",
        "env": {},
    }
    return load.run_locust(**options | changes)


def test_a_run_in_which_no_request_finished_has_no_times(locust_writes):
    locust_writes(NOTHING_FINISHED)

    result = _run()

    assert (result.requests, result.failures) == (0, 0)
    # Not 0 ms either: locust's 0 for the slowest request is no measurement.
    assert (result.p50_ms, result.p95_ms, result.max_ms) == (None, None, None)
    assert not result.measured


def test_a_run_with_requests_reads_locust_times(locust_writes):
    locust_writes(MEASURED)

    result = _run()

    assert (result.requests, result.failures, result.rps) == (120, 0, 11.9)
    assert (result.p50_ms, result.p95_ms, result.max_ms) == (38.0, 120.0, 210.0)
    assert result.measured


def test_an_unmeasured_load_misses_its_target_and_the_table_says_not_measured(locust_writes):
    locust_writes(NOTHING_FINISHED)
    unmeasured = _run()

    paced, saturation = load.load_rows(
        results={50: unmeasured, 0: unmeasured}, clients=2, seconds=2
    )

    assert (paced.ok, paced.measured, paced.p95_ms) == (False, False, None)
    assert paced.value == "not measured: no request finished in 2 s"
    assert paced.target  # the target stays in view, unmet
    assert (saturation.ok, saturation.measured) == (None, False)
    printed = table([paced, saturation])
    assert printed.count("not measured") == 4  # each row's figure and verdict
    assert "FAIL" not in printed and "0.0" not in printed


def test_the_markdown_table_shows_an_unmeasured_load_without_a_verdict_mark(locust_writes):
    locust_writes(NOTHING_FINISHED)
    rows = load.load_rows(results={50: _run()}, clients=2, seconds=2)
    result = {
        "database": "sqlite",
        "server_version": "SQLite 3",
        "machine": {"cpus": 2, "load_average": [4.1, 5.0]},
        "finished_at": "2026-01-01T00:00:00+00:00",
        "command": "python -m bench",
        "rows": rows_to_json(rows),
    }

    line = markdown([result]).splitlines()[-1]

    assert "| not measured: no request finished in 2 s |" in line
    assert "✓" not in line and "✗" not in line


def test_a_measured_load_is_judged_on_its_p95(locust_writes):
    locust_writes(MEASURED)

    (row,) = load.load_rows(results={50: _run()}, clients=2, seconds=2)

    assert (row.ok, row.measured, row.p95_ms) == (True, True, 120.0)
    assert row.value == "12 req/s, 0 errors of 120"
