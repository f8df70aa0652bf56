"""The bench's printed table: a run that measured nothing (everything skipped) still prints it."""

from bench.report import Row, table


def test_a_run_that_measured_nothing_prints_the_header_alone():
    printed = table([])

    assert printed.splitlines()[0].split() == [
        "measurement",
        "p50",
        "ms",
        "p95",
        "ms",
        "queries",
        "figure",
        "target",
        "result",
    ]
    assert len(printed.splitlines()) == 2


def test_columns_are_as_wide_as_their_widest_cell():
    printed = table([Row(group="list", name="a very long measurement name", p50_ms=1.0)])

    header, rule, row = printed.splitlines()
    assert rule.startswith("-" * len("a very long measurement name") + "  ")
    assert row.startswith("a very long measurement name  ")
