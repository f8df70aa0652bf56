"""Result rows, the printed table, the JSON file and the markdown table of docs/performance.md.

`python -m bench.report bench/results-sqlite.json bench/results-postgres.json` prints the
markdown table of saved results again.
"""

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Row:
    group: str  # list, admin, search, order, sync, load, weight
    name: str
    p50_ms: float | None = None
    p95_ms: float | None = None
    queries: int | None = None
    # The figure a row is judged on when it is not a time: "0.31x admin", "812 orders/s".
    value: str = ""
    target: str = ""
    ok: bool | None = None  # None: informative, no target
    # False: the run gave no figure (its times are None, not 0); a target it had is not met.
    measured: bool = True
    data: dict = field(default_factory=dict)


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _verdict(row: Row) -> str:
    if not row.measured:
        return "not measured"
    return {True: "pass", False: "FAIL", None: ""}[row.ok]


def _mark(row: dict) -> str:
    """The markdown table's verdict after a figure (results saved before `measured` count as
    measured)."""
    if not row.get("measured", True):
        return ""  # the figure itself says "not measured"
    return {True: " ✓", False: " ✗", None: ""}[row["ok"]]


def table(rows: list[Row]) -> str:
    headers = ["measurement", "p50 ms", "p95 ms", "queries", "figure", "target", "result"]
    cells = [
        [
            row.name,
            _ms(row.p50_ms),
            _ms(row.p95_ms),
            "" if row.queries is None else str(row.queries),
            row.value,
            row.target,
            _verdict(row),
        ]
        for row in rows
    ]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(headers)]
    right = {1, 2, 3}

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if i in right else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(c) for c in cells]
    return "\n".join(out)


def markdown(results: list[dict]) -> str:
    """One table for docs/performance.md: a column pair per database, side by side."""
    databases = [r["database"] for r in results]
    header = ["Measurement", *(f"{db} p50 / p95 ms (queries)" for db in databases)]
    header += [*(f"{db} figure" for db in databases), "Target"]
    by_name: dict[str, dict[str, dict]] = {}
    order: list[str] = []
    for result in results:
        for row in result["rows"]:
            if row["name"] not in by_name:
                order.append(row["name"])
            by_name.setdefault(row["name"], {})[result["database"]] = row
    lines = [
        f"- {r['database']}: {r['server_version']}, {r['machine']['cpus']} CPUs, load average "
        f"{' -> '.join(str(x) for x in r['machine'].get('load_average', []))}, "
        f"finished {r['finished_at']} (`{r['command']}`)"
        for r in results
    ]
    lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in order:
        cells = [name]
        target = ""
        for db in databases:
            row = by_name[name].get(db)
            if row is None or row["p50_ms"] is None:
                cells.append("")
                continue
            queries = "" if row["queries"] is None else f" ({row['queries']})"
            cells.append(f"{_ms(row['p50_ms'])} / {_ms(row['p95_ms'])}{queries}")
        for db in databases:
            row = by_name[name].get(db)
            if row is None:
                cells.append("")
                continue
            cells.append(f"{row['value']}{_mark(row)}".strip())
            target = target or row["target"]
        cells.append(target)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_json(path: Path, result: dict) -> None:
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")


def rows_to_json(rows: list[Row]) -> list[dict]:
    return [asdict(row) for row in rows]


if __name__ == "__main__":
    print(markdown([json.loads(Path(name).read_text()) for name in sys.argv[1:]]))
