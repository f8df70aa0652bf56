"""Locust clients for `bench.load`: each one opens the order list, again and again.

Every client signs in once, before the clock starts: the bench hands each a session of its own
in BENCH_SESSIONS (comma separated), made beforehand so that 32 password hashes at start-up do
not land in the measured seconds. BENCH_THINK_MS is each client's pause between pages (uniform
from half to one and a half times it; 0 for none).
"""

import itertools
import os
import random
import time

from locust import FastHttpUser, between, constant, task

_sessions = itertools.cycle(os.environ["BENCH_SESSIONS"].split(","))
_think = float(os.environ.get("BENCH_THINK_MS", "0")) / 1000
_path = os.environ.get("BENCH_PATH", "/orders/")


class ListReader(FastHttpUser):
    wait_time = between(_think / 2, _think * 1.5) if _think else constant(0)

    def on_start(self) -> None:
        self.cookie = f"sessionid={next(_sessions)}"
        # People do not all click at the same instant: each client starts at its own moment
        # of its first pause, or the first seconds would be one burst of every client at once.
        time.sleep(random.uniform(0, _think * 1.5))

    @task
    def order_list(self) -> None:
        with self.client.get(
            _path, headers={"Cookie": self.cookie}, name="order list", catch_response=True
        ) as response:
            # A redirect to the login page would be a fast, wrong answer: count it as an error.
            if response.status_code != 200 or b"<table" not in (response.content or b""):
                response.failure(f"status {response.status_code}")
