"""A Telnyx that accepts connections and never answers, behind the production server: gunicorn
run with gunicorn.conf.py, as the README says. A manager's fix gets a clear message once the
time budget is spent, with no 500 and one completed audit entry, while /healthz and another
person's pages go on answering.

It runs on a SQLite file of its own whatever DATABASE_URL says: what it proves is the server's
(threads, timeouts, the budget), which the database does not change, and gunicorn must not share
the suite's test database.
"""

import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from bench.load import free_port, wait_for
from tests.helpers import eventually

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BUDGET = 2
ORDER_ID = uuid.UUID("0d6b7c1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e")

# The users and the order, written by the site's own code in the site's database.
SETUP = f"""
from django.contrib.auth.models import Group, User
from orders.models import Order

for name, group in [("manager", "Account managers"), ("support", "Support staff")]:
    User.objects.create_user(name, password="pw").groups.add(Group.objects.get(name=group))
now = "{datetime.now(UTC).isoformat()}"
Order.objects.create(
    id="{ORDER_ID}", status="pending", customer_reference="OLD", phone_numbers_count=0,
    countries="CH", created_at=now, updated_at=now, synced_at=now,
)
"""


@pytest.fixture
def site(tmp_path, silent_server):
    """gunicorn -c gunicorn.conf.py, one worker, its Telnyx the silent server; yields its URL
    and the path of its database."""
    database = tmp_path / "site.sqlite3"
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "ordersite.settings",
        "SECRET_KEY": "slow-telnyx-test-key-not-a-secret-" + "x" * 30,
        # Static files served from the source tree: no collectstatic for a test.
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{database}",
        "TELNYX_API_BASE": silent_server.url,
        "TELNYX_API_KEY": "test-key",
        "TELNYX_INTERACTIVE_BUDGET": str(BUDGET),
        "BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "LOG_LEVEL": "WARNING",
    }
    manage = [str(BIN / "python"), "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=REPO, env=env, check=True)
    subprocess.run([*manage, "shell", "-c", SETUP], cwd=REPO, env=env, check=True)
    log = (tmp_path / "gunicorn.log").open("wb")
    command = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "ordersite.wsgi"]
    server = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/healthz", seconds=30, process=server)
        yield url, database
    finally:
        server.terminate()
        server.wait(15)
        log.close()


def signed_in(url: str, username: str) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{url}/accounts/login/", timeout=10).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    answer = session.post(
        f"{url}/accounts/login/",
        {"username": username, "password": "pw", "csrfmiddlewaretoken": token},
        headers={"Referer": f"{url}/accounts/login/"},
        timeout=10,
    )
    assert answer.url == f"{url}/", answer.url
    return session


def audit_outcomes(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return [row[0] for row in connection.execute("SELECT outcome FROM orders_auditentry")]


def test_fix_against_an_unanswering_telnyx_fails_clearly_and_freezes_nobody(site):
    url, database = site
    manager, support = signed_in(url, "manager"), signed_in(url, "support")
    order_url = f"{url}/orders/{ORDER_ID}/"
    token = manager.cookies["csrftoken"]
    answers: list[requests.Response] = []

    def fix() -> None:
        answers.append(
            manager.post(
                f"{order_url}requirements/",
                {"customer_reference": "NEW"},
                headers={"X-CSRFToken": token, "Referer": order_url},
                timeout=60,
            )
        )

    started = time.monotonic()
    fixing = threading.Thread(target=fix)
    fixing.start()
    # The attempt is in the audit trail before Telnyx is called...
    eventually(lambda: audit_outcomes(database) == ["pending"], seconds=10)
    # ...and while it waits on Telnyx, the server answers everyone else.
    health = requests.get(f"{url}/healthz", timeout=10)
    listing = support.get(f"{url}/orders/", timeout=10)
    assert fixing.is_alive(), "the fix was answered before the others: nothing was concurrent"
    fixing.join(60)
    waited = time.monotonic() - started

    assert health.status_code == 200
    assert listing.status_code == 200 and str(ORDER_ID) in listing.text
    (answer,) = answers
    assert answer.status_code == 422
    assert f"Telnyx did not answer within {BUDGET} s." in answer.text
    assert "It is not known whether Telnyx applied the change" in answer.text
    # Well within the worker timeout (30 s), which would have killed the request.
    assert waited < 30
    assert audit_outcomes(database) == ["unknown"]
