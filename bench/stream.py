"""`python -m bench.stream PATH`: streams one CSV export whole through the test client as the
bench's admin, twice, in a process of its own, and prints its rows, both times and the peak RSS
as JSON.

Run by bench.scale with the bench's environment (DATABASE_URL names the data to read)."""

import json
import re
import sys
import time
from pathlib import Path


def _peak_rss_mb() -> float:
    """The process's high-water mark of resident memory (VmHWM): unlike getrusage's ru_maxrss,
    it starts afresh at exec, so the bench process that started this one is not counted."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE).group(1)) / 1024


def main(path: str) -> None:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import resolve

    resolve(path.split("?")[0])  # the URLconf and views imported before the clock starts
    client = Client()
    # Loaded by a production worker when it starts (WSGIHandler.__init__), by the test client
    # only at its first request: whitenoise's scan of the static files is not the export's.
    client.handler.load_middleware()
    client.force_login(User.objects.get(username="bench-admin"))
    seconds = []
    # Twice: the first stream is a fresh process's (its connection and caches cold), the second
    # a worker's that has served before.
    for _ in range(2):
        started = time.perf_counter()
        response = client.get(path)
        if response.status_code != 200 or not response.streaming:
            raise SystemExit(f"GET {path} answered {response.status_code}, not a stream")
        lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
        seconds.append(time.perf_counter() - started)
    # The process's peak over both: Django, the test client and the export.
    figures = {
        "rows": lines - 1,
        "seconds": seconds[0],
        "seconds_again": seconds[1],
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1])
