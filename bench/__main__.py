"""`python -m bench`: build a large cache, measure the dashboard, print a table, write JSON.

One database per process (Django is set up once per process): `--database both` runs this
module again for SQLite, then for PostgreSQL when a server answers, and prints both tables.
"""

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from bench.databases import (
    Target,
    answers,
    pg_recreate,
    pg_server,
    server_version,
    with_name,
)

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "bench"


def _parser() -> argparse.ArgumentParser:
    from_env = os.environ.get("DATABASE_URL", "")
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres", "both"],
        default="postgres" if from_env.startswith("postgres") else "sqlite",
        help="both: SQLite, then PostgreSQL if a server answers (default: from DATABASE_URL)",
    )
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--numbers", type=int, default=300_000)
    parser.add_argument("--big-order", type=int, default=500, help="numbers of the big order")
    parser.add_argument(
        "--scale",
        type=int,
        default=1,
        metavar="N",
        help="also measure the queue, the list by deadline and the exports at N x the orders and"
        " numbers (a database of their own), with the ratios to the default size",
    )
    parser.add_argument("--sync-orders", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument(
        "--sync-concurrency",
        type=int,
        default=int(os.environ.get("TELNYX_SYNC_CONCURRENCY") or 8),
        help="the sync's TELNYX_SYNC_CONCURRENCY (default: the setting's default, 8)",
    )
    parser.add_argument("--load-seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument(
        "--think-ms",
        type=int,
        default=1000,
        help="each load client's pause between pages, as a person reading (0: none)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="gunicorn workers (default 2 x CPUs + 1)",
    )
    parser.add_argument("--repeat", type=int, default=40, help="timed requests per page")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["pages", "weight", "load", "sync"],
        help="leave a measurement out (repeatable); with pages, weight and load all left out"
        " no data is built",
    )
    parser.add_argument("--rebuild", action="store_true", help="drop the bench data and rebuild")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="write a pyinstrument profile of each page that misses its target into DIR",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=HERE,
        help="where the SQLite files and results-<database>.json go (default: bench/)",
    )
    parser.add_argument(
        "--pg-name",
        default="ordersite_bench",
        help="PostgreSQL database for the bench (the sync uses <name>_sync)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.database == "both":
        return _both(args, argv if argv is not None else sys.argv[1:])
    return _one(args)


def _both(args: argparse.Namespace, argv: list[str]) -> int:
    passed = [a for a in argv if not a.startswith("--database")]
    # "--database both" may have been given as two words.
    if "both" in passed:
        passed.remove("both")
    databases = ["sqlite"]
    server = pg_server()
    if answers(server):
        databases.append("postgres")
    else:
        print(f"== no PostgreSQL answers at {urlsplit(server).netloc}: SQLite only")
    status = 0
    for database in databases:
        print(f"\n== {database}", flush=True)
        status |= subprocess.call(
            [sys.executable, "-m", "bench", "--database", database, *passed], cwd=ROOT
        )
    from bench.report import markdown

    results = [
        json.loads(path.read_text())
        for database in databases
        if (path := args.workdir / f"results-{database}.json").exists()
    ]
    print("\n== both databases (markdown, for docs/performance.md)\n")
    print(markdown(results))
    return status


def _one(args: argparse.Namespace) -> int:
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.database == "postgres":
        server = pg_server()
        if not answers(server):
            print(f"no PostgreSQL answers at {urlsplit(server).netloc}", file=sys.stderr)
            return 2
        target = Target(
            database_url=with_name(server, args.pg_name),
            sync=with_name(server, f"{args.pg_name}_sync"),
        )
        pg_recreate(target.database_url, keep=not args.rebuild)
    else:
        db_path = (args.workdir / "bench.sqlite3").resolve()
        target = Target(
            database_url=f"sqlite:///{db_path}",
            sync=(args.workdir / "sync.sqlite3").resolve(),
            sqlite_path=db_path,
        )
        if args.rebuild:
            target.recreate()

    static_root = Path(tempfile.mkdtemp(prefix="bench-static-"))
    # The production settings: DEBUG off, a secret key, whitenoise's compressed manifest.
    # Loopback is plain HTTP, so cookies cannot be marked Secure here.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": target.database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_COOKIES": "0",
        "BENCH_STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    try:
        return _measure(args, env=env, target=target)
    finally:
        shutil.rmtree(static_root, ignore_errors=True)


def _measure(args: argparse.Namespace, *, env: dict, target: Target) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench import build, measure, report, sync
    from bench.report import Row

    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    if load_before > (os.cpu_count() or 1) / 2:
        _log(f"warning: load average {load_before:.1f} before starting; figures will be noisy")
    print(f"== {args.database}: {settings.DATABASES['default']['NAME']}", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    sizes = build.Sizes(orders=args.orders, numbers=args.numbers, big_order_numbers=args.big_order)
    rows: list[Row] = []
    # The sync fills databases of its own: the large cache is for the pages and the server.
    if {"pages", "weight", "load"} - set(args.skip) or args.scale > 1:
        built = _built(sizes, target=target)
        call_command("collectstatic", interactive=False, verbosity=0)
        admin, support = _users()
        rows.append(
            Row(
                group="build",
                name="build: bulk insert" + (" (reused)" if built.reused else ""),
                value=(
                    f"{built.orders:,} orders, {built.sub_orders:,} sub orders, "
                    f"{built.numbers:,} numbers, {built.values:,} values in {built.seconds:.0f} s"
                ),
                data={k: v for k, v in built.__dict__.items() if k != "sizes"},
            )
        )
        if "pages" not in args.skip:
            rows += measure.every_page(
                admin=admin,
                big_order_id=built.big_order_id,
                orders=args.orders,
                repeat=args.repeat,
                profile=args.profile,
                label=args.database,
            )
        if args.scale > 1:
            rows += _scale(args, env=env, target=target, admin=admin)
        if {"weight", "load"} - set(args.skip):
            rows += _server(args, env=env, support=support)
    connection.close()
    if "sync" not in args.skip:
        rows += sync.sync_measured(
            orders=args.sync_orders,
            latency_ms=args.latency_ms,
            concurrency=args.sync_concurrency,
            env=env,
            target=target.sync,
        )

    result = {
        "database": args.database,
        "vendor": connection.vendor,
        "server_version": server_version(),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "machine": {
            "cpus": os.cpu_count(),
            # Other work on the machine skews every figure: the 1-minute load, before and after.
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "python": sys.version.split()[0],
            "django": django.get_version(),
        },
        "command": "python -m bench " + " ".join(sys.argv[1:]),
        "sizes": build.asdict(sizes),
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "rows": report.rows_to_json(rows),
        "passed": all(row.ok is not False for row in rows),
    }
    path = args.workdir / f"results-{args.database}.json"
    report.write_json(path, result)
    print()
    print(report.table(rows))
    missed = [row for row in rows if row.ok is False]
    unmeasured = sum(not row.measured for row in missed)
    if not missed:
        print("\nevery target met", end="")
    else:
        note = f" ({unmeasured} of them not measured)" if unmeasured else ""
        print(f"\n{len(missed)} target(s) missed{note}", end="")
    print(f"; figures in {path}")
    return 1 if missed else 0


def _built(sizes, *, target: Target):
    """The bench data at `sizes`: reused when the database holds it, else built afresh; the
    queue's rows brought up to it, as the sync's end brings them (not in a timed request)."""
    from django.core.management import call_command
    from django.db import connection

    from bench import build
    from orders.services.queue_rows import queue_rows_catch_up

    try:
        built = build.ensure(sizes, log=_log)
    except build.Stale as stale:
        _log(f"rebuilding: the bench data was {stale}")
        connection.close()
        target.recreate()
        call_command("migrate", interactive=False, verbosity=0)
        built = build.ensure(sizes, log=_log)
    queue_rows_catch_up()
    return built


def _scale(args: argparse.Namespace, *, env: dict, target: Target, admin) -> list:
    """The scale rows at the default size, then at args.scale times it, and their ratios. The
    larger data lives in a database of its own (kept, and reused when its marker matches), which
    the process's connection is pointed at for the second half."""
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from bench import build, scale
    from bench.report import Row

    client = Client()
    client.force_login(admin)
    small = scale.size_rows(client=client, label="1x", repeat=args.repeat, env=env)
    large_target = target.scaled(args.scale)
    _log(f"== {args.scale}x the data: {large_target.database_url}")
    connection.close()
    if large_target.sqlite_path is None:
        pg_recreate(large_target.database_url, keep=not args.rebuild)
    elif args.rebuild:
        large_target.recreate()
    connection.settings_dict["NAME"] = large_target.name
    call_command("migrate", interactive=False, verbosity=0)
    sizes = build.Sizes(
        orders=args.orders * args.scale,
        numbers=args.numbers * args.scale,
        big_order_numbers=args.big_order,
    )
    built = _built(sizes, target=large_target)
    admin, _ = _users()
    client.force_login(admin)
    large = scale.size_rows(
        client=client,
        label=f"{args.scale}x",
        repeat=args.repeat,
        env={**env, "DATABASE_URL": large_target.database_url},
    )
    note = Row(
        group="scale",
        name=f"{args.scale}x: build" + (" (reused)" if built.reused else ""),
        value=f"{built.orders:,} orders, {built.numbers:,} numbers, {built.values:,} values",
    )
    return [*small, note, *large, *scale.ratio_rows(small, large, scale=args.scale)]


def _log(line: str) -> None:
    print(line, flush=True)


def _users():
    from django.contrib.auth.models import Group, User

    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    support, created = User.objects.get_or_create(username="bench-support")
    if created:
        support.groups.add(Group.objects.get(name="Support staff"))
    return admin, support


def _server(args: argparse.Namespace, *, env: dict, support) -> list:
    from django.test import Client

    from bench import load

    sessions = []
    for _ in range(args.clients):
        client = Client()
        client.force_login(support)
        sessions.append(client.cookies["sessionid"].value)
    rows = []
    with load.production_server(env=env, workers=args.workers) as base_url:
        if "weight" not in args.skip:
            rows += load.page_weight(
                base_url=base_url,
                session_key=sessions[0],
                list_path="/orders/",
                swap_path="/orders/?page=2",
            )
        if "load" not in args.skip:
            results = {}
            for think_ms in dict.fromkeys([args.think_ms, 0]):
                results[think_ms] = load.run_locust(
                    base_url=base_url,
                    sessions=sessions,
                    clients=args.clients,
                    seconds=args.load_seconds,
                    think_ms=think_ms,
                    path="/orders/",
                    env=env,
                )
            rows += load.load_rows(results=results, clients=args.clients, seconds=args.load_seconds)
    return rows


if __name__ == "__main__":
    sys.exit(main())
