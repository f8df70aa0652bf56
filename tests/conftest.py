"""Fixtures shared by the whole suite: users by role, cached orders, and a live sandbox.
The helpers that are not fixtures are in tests/helpers.py."""

import itertools
import socket
import threading
import time
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.utils import timezone

from orders.models import (
    Order,
    PhoneNumber,
    RequirementDefinition,
    RequirementValue,
    SubOrder,
)
from tests.helpers import FAKE_TELNYX, SANDBOX_KEY, Api, WebhookSigner


def _user(username: str, group: str | None = None, **extra) -> User:
    user = User.objects.create_user(username=username, password="pw", **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture(autouse=True)
def _empty_cache():
    """Django's cache (the queue's aggregates) starts empty in every test: tokens from frozen
    clocks may repeat across tests."""
    cache.clear()


@pytest.fixture
def support_user(db) -> User:
    return _user("support", "Support staff")


@pytest.fixture
def manager_user(db) -> User:
    return _user("manager", "Account managers")


@pytest.fixture
def nobody_user(db) -> User:
    """Logged in, but in no group: may see nothing."""
    return _user("nobody")


@pytest.fixture
def support_client(client, support_user):
    client.force_login(support_user)
    return client


@pytest.fixture
def manager_client(client, manager_user):
    client.force_login(manager_user)
    return client


_numbers = itertools.count(41215470000)


@pytest.fixture
def order_factory(db):
    """Builds a cached order: `order_factory(numbers=3, country="CH", status="pending", ...)`.

    Each number gets one requirement value per definition passed in `definitions`
    (default: one textual requirement awaiting a value).
    """

    def make(
        *,
        numbers: int = 2,
        country: str = "CH",
        number_type: str = "local",
        status: str = "pending",
        customer_reference: str = "REF-001",
        requirements_met: bool = False,
        created_at=None,
        definitions: list[RequirementDefinition] | None = None,
        field_value: str = "",
    ) -> Order:
        now = timezone.now()
        created = created_at or now - timedelta(days=1)
        order = Order.objects.create(
            id=uuid.uuid4(),
            status=status,
            customer_reference=customer_reference,
            phone_numbers_count=numbers,
            requirements_met=requirements_met,
            countries=country,
            numbers_awaiting=0 if requirements_met else numbers,
            deadline=now + timedelta(days=2),
            created_at=created,
            updated_at=created,
            synced_at=now,
            # As orders_store() writes it: what the change token, and the queue's cache, follow.
            changed_at=now,
        )
        sub = SubOrder.objects.create(
            id=uuid.uuid4(),
            order=order,
            country_code=country,
            phone_number_type=number_type,
            status=status,
            requirements_met=requirements_met,
            phone_numbers_count=numbers,
            created_at=created,
            updated_at=created,
            synced_at=now,
        )
        if definitions is None:
            definitions = [
                RequirementDefinition.objects.get_or_create(
                    id=uuid.UUID("2708e569-696a-4fc7-9305-5fdb3eb9c7dd"),
                    defaults={
                        "label": "Business registration number",
                        "description": "The company's registration number in its country",
                        "example": "CHE-123.456.789",
                        "field_type": "textual",
                        "acceptance_criteria": {"min_length": 5, "max_length": 20},
                        "synced_at": now,
                    },
                )[0]
            ]
        for _ in range(numbers):
            e164 = f"+{next(_numbers)}"
            number = PhoneNumber.objects.create(
                telnyx_id=uuid.uuid4(),
                order=order,
                sub_order=sub,
                phone_number=e164,
                digits=e164[1:],
                country_code=country,
                phone_number_type=number_type,
                status=status,
                requirements_met=requirements_met,
                requirements_status="approved" if requirements_met else "requirement-info-pending",
                deadline=order.deadline,
                updated_at=created,
                synced_at=now,
            )
            for definition in definitions:
                RequirementValue.objects.create(
                    phone_number=number,
                    requirement_id=definition.id,
                    field_type=definition.field_type,
                    field_value=field_value,
                    status="approved" if requirements_met else "",
                    updated_at=created,
                    synced_at=now,
                )
        return order

    return make


@pytest.fixture
def sandbox():
    """A live sandbox on a free loopback port with 20 deterministic orders."""
    from sandbox.server import Sandbox

    box = Sandbox(orders=20, seed=7, api_key=SANDBOX_KEY)
    box.start()
    yield box
    box.stop()


@pytest.fixture
def telnyx_settings(settings, sandbox):
    """Points the dashboard's Telnyx client at the live sandbox."""
    _point_telnyx_at(settings, sandbox)
    return settings


def _point_telnyx_at(settings, box) -> None:
    settings.TELNYX_API_BASE = box.url
    settings.TELNYX_API_KEY = SANDBOX_KEY
    settings.TELNYX_MAX_RETRIES = 1
    settings.TELNYX_TIMEOUT = 2.0


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (which cannot download its own here)."""
    import os
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs Debian's chromium as root")
    # Playwright's sync API runs an event loop in this thread; the live server's ORM calls
    # happen in its own thread, so Django's async-safety check is a false alarm here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab; `helpers.login(page, user)` signs it in through the real login form."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def webhook_signer(settings) -> WebhookSigner:
    """A fresh signer whose public key the webhook receiver trusts."""
    signer = WebhookSigner()
    settings.TELNYX_PUBLIC_KEY = signer.public_key_b64
    return signer


@pytest.fixture
def synced(telnyx_settings, sandbox, db):
    """The sandbox's orders cached by the real sync; returns the sandbox, its request log
    cleared so a test sees only what it caused."""
    from orders.services.sync import orders_sync

    orders_sync()
    sandbox.requests.clear()
    return sandbox


@pytest.fixture
def mocked_telnyx(settings):
    """Telnyx faked in-process by `responses` (nothing leaves the machine) at FAKE_TELNYX, where
    the dashboard's client now points, without retries: register answers on the mock."""
    import responses

    settings.TELNYX_API_BASE = FAKE_TELNYX
    settings.TELNYX_API_KEY = SANDBOX_KEY
    settings.TELNYX_MAX_RETRIES = 0
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def cache_snapshot(db):
    """`cache_snapshot(order_id)`: every cached row of one order as plain values, to compare
    before and after an action that must change nothing. When the sync last fetched a sub
    order's comments is the comments' bookkeeping, not the order's: left out."""

    def snapshot(order_id) -> dict[str, list[dict]]:
        sub_orders = SubOrder.objects.filter(order_id=order_id).order_by("pk")
        return {
            "order": list(Order.objects.filter(pk=order_id).values()),
            "sub_orders": [
                {name: value for name, value in row.items() if name != "comments_synced_at"}
                for row in sub_orders.values()
            ],
            "numbers": list(PhoneNumber.objects.filter(order_id=order_id).order_by("pk").values()),
            "values": list(
                RequirementValue.objects.filter(phone_number__order_id=order_id)
                .order_by("pk")
                .values()
            ),
        }

    return snapshot


@pytest.fixture
def roles(transactional_db):
    """The "Support staff" and "Account managers" groups, for tests on committed data (live
    server, browser): the flush after each such test empties every table, migration 0003's
    groups with them. Made again by that migration's own code. Request it before the users."""
    from importlib import import_module

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    state = MigrationLoader(connection).project_state(("orders", "0003_groups"))
    import_module("orders.migrations.0003_groups").create_groups(state.apps, None)


@pytest.fixture
def webhook_sandbox(live_server, settings):
    """A live sandbox that posts its signed webhooks to the live server, which trusts its key and
    calls it as Telnyx (needs committed data: transactional_db)."""
    from sandbox.server import Sandbox

    box = Sandbox(
        orders=20,
        seed=7,
        api_key=SANDBOX_KEY,
        webhook_url=f"{live_server.url}/webhooks/telnyx/",
        webhook_backoff=0.05,
    )
    box.start()
    _point_telnyx_at(settings, box)
    settings.TELNYX_PUBLIC_KEY = box.public_key_b64
    yield box
    box.stop()


@pytest.fixture
def api(sandbox):
    """A session on the sandbox's API that authenticates as the dashboard does."""
    with Api(sandbox) as session:
        yield session


@pytest.fixture
def silent_server():
    """A loopback HTTP server that accepts connections and never answers. `accepted` holds
    the time.monotonic() at which each connection was accepted."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    accepted: list[float] = []
    connections: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(time.monotonic())
            connections.append(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}/v2", accepted=accepted)
    stop.set()
    thread.join()
    for connection in connections:
        connection.close()
    listener.close()
