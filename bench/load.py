"""The production server under load, and what a first visit weighs on the wire.

gunicorn serves the site with the production settings (DEBUG off, static files collected and
compressed by whitenoise's storage, served by whitenoise), on loopback. Locust drives it from a
second process; page weight is read with plain HTTP requests that accept compression as a
browser does, counting the bytes as they arrive, before any decompression.
"""

import contextlib
import csv
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import requests

from bench.report import Row

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOAD_P95_MS = 150.0
FIRST_LOAD_KB = 100
SWAP_KB = 20
BROWSER_ENCODINGS = "gzip, deflate, br"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, *, seconds: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


@contextlib.contextmanager
def production_server(*, env: dict, workers: int) -> Iterator[str]:
    """gunicorn on a free loopback port, with the environment the bench process runs under."""
    port = free_port()
    # The production configuration (threads, timeouts, access log); the bench sets only where
    # it listens, how many workers and how much gunicorn itself says.
    command = [
        str(BIN / "gunicorn"),
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "ordersite.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            wait_for(f"http://127.0.0.1:{port}/healthz", seconds=30, process=server)
            yield f"http://127.0.0.1:{port}"
        except Exception:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
            raise
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


class _Assets(HTMLParser):
    """The stylesheets, scripts, icons and images a page makes the browser fetch."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        elif (
            tag == "link"
            and attrs.get("href")
            and {"stylesheet", "icon", "preload"} & set((attrs.get("rel") or "").split())
        ):
            self.urls.append(attrs["href"])
        elif tag == "img" and attrs.get("src") and not attrs["src"].startswith("data:"):
            self.urls.append(attrs["src"])


@dataclass
class Transfer:
    url: str
    status: int
    encoding: str
    bytes: int  # body as transferred, compressed if the server compressed it
    body: bytes  # decoded


def fetch(session: requests.Session, url: str, *, headers: dict | None = None) -> Transfer:
    response = session.get(
        url,
        headers={"Accept-Encoding": BROWSER_ENCODINGS, **(headers or {})},
        stream=True,
        timeout=30,
    )
    raw = response.raw.read(decode_content=False)
    encoding = response.headers.get("Content-Encoding", "")
    body = raw
    if encoding == "gzip":
        import gzip

        body = gzip.decompress(raw)
    elif encoding == "br":
        import brotli

        body = brotli.decompress(raw)
    elif encoding:
        raise RuntimeError(f"{url}: unexpected Content-Encoding {encoding}")
    return Transfer(url, response.status_code, encoding or "identity", len(raw), body)


def page_weight(*, base_url: str, session_key: str, list_path: str, swap_path: str) -> list[Row]:
    session = requests.Session()
    session.cookies.set("sessionid", session_key)
    page = fetch(session, base_url + list_path)
    if page.status != 200:
        raise RuntimeError(f"GET {list_path} answered {page.status}")
    parser = _Assets()
    parser.feed(page.body.decode())
    transfers = [page]
    seen = {list_path}
    for src in parser.urls:
        url = urljoin(base_url + list_path, src)
        if url in seen:
            continue
        seen.add(url)
        asset = fetch(session, url)
        if asset.status != 200:
            raise RuntimeError(f"GET {src} answered {asset.status}")
        transfers.append(asset)
    first = sum(t.bytes for t in transfers)
    swap = fetch(session, base_url + swap_path, headers={"HX-Request": "true"})
    if swap.status != 200:
        raise RuntimeError(f"GET {swap_path} as htmx answered {swap.status}")
    parts = [
        {
            "url": t.url.removeprefix(base_url),
            "bytes": t.bytes,
            "encoding": t.encoding,
            "uncompressed": len(t.body),
        }
        for t in transfers
    ]
    return [
        Row(
            group="weight",
            name="page weight: first load of the list",
            value=f"{first / 1024:.1f} KB in {len(transfers)} responses",
            target=f"<= {FIRST_LOAD_KB} KB",
            ok=first <= FIRST_LOAD_KB * 1024,
            data={"bytes": first, "parts": parts},
        ),
        Row(
            group="weight",
            name="page weight: htmx table swap",
            value=f"{swap.bytes / 1024:.1f} KB ({swap.encoding})",
            target=f"<= {SWAP_KB} KB",
            ok=swap.bytes <= SWAP_KB * 1024,
            data={
                "bytes": swap.bytes,
                "uncompressed": len(swap.body),
                "url": swap_path,
                "encoding": swap.encoding,
            },
        ),
    ]


@dataclass
class LoadResult:
    requests: int
    failures: int
    rps: float
    # None: not measured. Locust writes "N/A" for the percentiles when no request finished in
    # the run (a loaded machine can leave a short run without one).
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float | None

    @property
    def measured(self) -> bool:
        return self.p95_ms is not None


def _locust_ms(cell: str, *, requests: int) -> float | None:
    """A time from locust's statistics, or None where it measured none."""
    if not requests or cell == "N/A":
        return None
    return float(cell)


def read_stats(path: Path) -> LoadResult:
    """The aggregated row of a locust `<prefix>_stats.csv`."""
    with path.open() as fh:
        total = next(row for row in csv.DictReader(fh) if row["Name"] == "Aggregated")
    requests = int(total["Request Count"])
    return LoadResult(
        requests=requests,
        failures=int(total["Failure Count"]),
        rps=float(total["Requests/s"]),
        p50_ms=_locust_ms(total["50%"], requests=requests),
        p95_ms=_locust_ms(total["95%"], requests=requests),
        max_ms=_locust_ms(total["Max Response Time"], requests=requests),
    )


def run_locust(
    *,
    base_url: str,
    sessions: list[str],
    clients: int,
    seconds: int,
    think_ms: int,
    path: str,
    env: dict,
) -> LoadResult:
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "load"
        command = [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(clients),
            "--spawn-rate",
            str(clients),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "5",
            "--host",
            base_url,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        locust_env = {
            **env,
            "BENCH_SESSIONS": ",".join(sessions),
            "BENCH_THINK_MS": str(think_ms),
            "BENCH_PATH": path,
        }
        finished = subprocess.run(
            command,
            cwd=ROOT,
            env=locust_env,
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
        stats = Path(f"{prefix}_stats.csv")
        if not stats.exists():
            raise RuntimeError(f"locust wrote no statistics:\n{finished.stderr[-4000:]}")
        return read_stats(stats)


def load_rows(*, results: dict[int, LoadResult], clients: int, seconds: int) -> list[Row]:
    rows = []
    for think_ms, result in results.items():
        judged = think_ms > 0
        if not result.measured:
            value = f"not measured: no request finished in {seconds} s"
            # A target that could not be measured is not met; the row says why.
            ok = False if judged else None
        else:
            value = f"{result.rps:.0f} req/s, {result.failures} errors of {result.requests}"
            ok = (result.p95_ms <= LOAD_P95_MS and result.failures == 0) if judged else None
        rows.append(
            Row(
                group="load",
                name=(
                    f"load: {clients} clients, {think_ms} ms think time"
                    if judged
                    else f"load: {clients} clients, no pause (saturation)"
                ),
                p50_ms=result.p50_ms,
                p95_ms=result.p95_ms,
                value=value,
                target=f"p95 <= {LOAD_P95_MS:g} ms, 0 errors" if judged else "",
                ok=ok,
                measured=result.measured,
                data={
                    **result.__dict__,
                    "clients": clients,
                    "seconds": seconds,
                    "think_ms": think_ms,
                },
            )
        )
    return rows
