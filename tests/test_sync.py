"""Fetching orders from Telnyx into the cache: order_fetch, order_reload, order_apply_payload
and orders_sync, against a recording fake client and against the live sandbox."""

import copy
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from orders.models import (
    Order,
    PhoneNumber,
    RequirementDefinition,
    RequirementValue,
    Status,
    SubOrder,
    SyncRun,
)
from orders.services import sync
from orders.services.fetch import order_fetch
from orders.services.refresh import order_apply_payload, order_reload
from orders.services.store import SyncOutcome
from orders.services.sync import orders_sync
from orders.telnyx import TelnyxClient, TelnyxError, get_client
from tests.helpers import SANDBOX_KEY, bump

A, B, C = (str(uuid.UUID(int=n)) for n in (0xA, 0xB, 0xC))


def entry(e164: str, *requirement_ids: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "phone_number": e164,
        "regulatory_requirements": [
            {"requirement_id": rid, "field_type": "textual", "field_value": ""}
            for rid in requirement_ids
        ],
    }


class RecordingClient:
    """Answers order_fetch's three questions from canned data and notes what was asked."""

    def __init__(self, numbers: list[dict]) -> None:
        self.order = {"id": str(uuid.UUID(int=1)), "phone_numbers": numbers}
        self.asked_requirements: list[list[str]] = []

    def get_number_order(self, order_id: str) -> dict:
        return self.order

    def list_sub_number_orders(self, *, order_id: str) -> list[dict]:
        return [{"id": "sub", "order_request_id": order_id}]

    def list_phone_number_requirements(self, phone_numbers: list[str]) -> list[dict]:
        self.asked_requirements.append(phone_numbers)
        return [
            {
                "phone_number": e164,
                "regulatory_requirements": [
                    {"id": rid, "label": f"label {rid[-1]}", "field_type": "textual"}
                    for rid in (A, B, C)
                ],
            }
            for e164 in phone_numbers
        ]


def test_fetch_asks_about_one_number_per_distinct_set_of_unknown_requirements():
    client = RecordingClient(
        [
            entry("+41215470001", A, B),
            entry("+41215470002", A, B),
            entry("+4915100000001", C, B),
            entry("+41215470003", A),  # nothing its first neighbour does not cover
        ]
    )

    bundle = order_fetch(
        client=client, order_id=client.order["id"], known_requirement_ids={uuid.UUID(B)}
    )

    assert client.asked_requirements == [["+41215470001", "+4915100000001"]]
    assert sorted(d["id"] for d in bundle.definitions) == [A, C]
    assert bundle.order is client.order
    assert bundle.sub_orders == [{"id": "sub", "order_request_id": client.order["id"]}]


def test_fetch_asks_for_no_definitions_when_every_requirement_is_known():
    client = RecordingClient([entry("+41215470001", A, B), entry("+41215470002")])

    bundle = order_fetch(
        client=client,
        order_id=client.order["id"],
        known_requirement_ids={uuid.UUID(A), uuid.UUID(B)},
    )

    assert client.asked_requirements == []
    assert bundle.definitions == []


# --- against the live sandbox ------------------------------------------------------------------


def order_ids(box, status: str) -> list[str]:
    return [id_ for id_, order in box.orders.items() if order["status"] == status]


def fetched(box, since: int = 0) -> list[str]:
    """Ids of the orders fetched one by one (GET /number_orders/{id}) since request `since`."""
    prefix = "/v2/number_orders/"
    return [
        r.path.removeprefix(prefix)
        for r in box.requests[since:]
        if r.method == "GET" and r.path.startswith(prefix)
    ]


@pytest.fixture
def synced(db, telnyx_settings, sandbox):
    """The sandbox's 20 orders, synced once."""
    run = orders_sync()
    assert (run.created, run.failed) == (20, 0)
    return sandbox


@pytest.mark.django_db
def test_first_sync_creates_every_order_with_its_numbers_and_definitions(telnyx_settings, sandbox):
    run = orders_sync()

    assert (run.seen, run.created, run.updated, run.unchanged, run.failed) == (20, 20, 0, 0, 0)
    assert run.ok and run.finished_at >= run.started_at
    assert SyncRun.objects.get() == run
    assert set(map(str, Order.objects.values_list("id", flat=True))) == set(sandbox.orders)
    numbers = [n for order in sandbox.orders.values() for n in order["phone_numbers"]]
    assert PhoneNumber.objects.count() == len(numbers)
    assert SubOrder.objects.count() == len(sandbox.sub_orders)
    values = [r for n in numbers for r in n["regulatory_requirements"]]
    assert RequirementValue.objects.count() == len(values)
    used = {uuid.UUID(r["requirement_id"]) for r in values}
    assert used <= set(RequirementDefinition.objects.values_list("id", flat=True))
    sample = numbers[0]
    stored = PhoneNumber.objects.get(telnyx_id=sample["id"])
    assert (stored.phone_number, str(stored.sub_order_id)) == (
        sample["phone_number"],
        sample["sub_number_order_id"],
    )


def test_second_sync_refetches_only_pending_orders(synced):
    before = len(synced.requests)

    run = orders_sync()

    assert (run.seen, run.created, run.updated, run.unchanged, run.failed) == (20, 0, 0, 20, 0)
    assert sorted(fetched(synced, before)) == sorted(order_ids(synced, "pending"))
    # Every definition is known by now: nothing asked about requirements again.
    assert not any("regulatory" in r.path for r in synced.requests[before:])


def test_order_changed_upstream_is_updated_by_the_next_sync(synced):
    finished = order_ids(synced, "success")[0]
    bump(synced, finished, customer_reference="CHANGED-UPSTREAM")
    before = len(synced.requests)

    run = orders_sync()

    assert (run.updated, run.unchanged) == (1, 19)
    assert finished in fetched(synced, before)
    assert Order.objects.get(pk=finished).customer_reference == "CHANGED-UPSTREAM"


def test_statuses_beyond_the_specs_three_are_stored(synced):
    """Telnyx sends statuses its spec does not list, such as "no-longer-eligible" (18 letters)."""
    order_id = order_ids(synced, "success")[0]
    number = synced.orders[order_id]["phone_numbers"][0]
    number["status"] = "no-longer-eligible"
    bump(synced, order_id)

    run = orders_sync()

    assert run.failed == 0
    stored = PhoneNumber.objects.get(telnyx_id=number["id"])
    assert stored.status == "no-longer-eligible"


def test_patch_through_the_client_shows_up_after_sync(synced):
    order_id = order_ids(synced, "success")[1]
    client = get_client()
    client.update_number_order(order_id, customer_reference="PATCHED")
    client.close()

    run = orders_sync()

    assert run.updated == 1
    order = Order.objects.get(pk=order_id)
    assert order.customer_reference == "PATCHED"
    assert order.updated_at == datetime.fromisoformat(synced.orders[order_id]["updated_at"])


@pytest.mark.django_db
def test_one_failing_order_counts_as_failed_and_the_rest_are_stored(telnyx_settings, sandbox):
    broken = order_ids(sandbox, "success")[0]
    sandbox.faults.order_faults[broken] = "500"

    run = orders_sync()

    assert (run.seen, run.created, run.failed) == (20, 19, 1)
    assert not run.ok
    assert broken in run.error
    assert SANDBOX_KEY not in run.error
    assert not Order.objects.filter(pk=broken).exists()
    assert Order.objects.count() == 19


@pytest.mark.django_db
def test_order_with_a_sub_order_without_status_fails_alone(telnyx_settings, sandbox):
    """The column is NOT NULL: the order is refused as it is read, naming the field, and the
    orders fetched with it are stored all the same."""
    refused = order_ids(sandbox, "success")[0]
    sub_order_id = sandbox.orders[refused]["sub_number_orders_ids"][0]
    sandbox.sub_orders[sub_order_id]["status"] = None
    sandbox.faults.latency = 0.01  # lets fetches finish together, so batches form

    run = orders_sync(concurrency=4)

    assert (run.created, run.failed) == (19, 1)
    assert f"order {refused}: " in run.error
    assert "sub_number_orders[0].status is missing" in run.error
    assert not Order.objects.filter(pk=refused).exists()


@pytest.mark.django_db
def test_orders_are_stored_in_batches_not_one_by_one(telnyx_settings, sandbox):
    """A batch costs a commit and a few statements whatever its size: the sync waits for
    `BATCH_PER_WORKER` orders per worker before storing (all that are left, at the end)."""
    # Progress is reported after each batch is committed, once per order in it: the orders
    # cached at each report grow a batch at a time.
    cached = []
    sandbox.faults.latency = 0.01

    run = orders_sync(
        concurrency=4, progress=lambda done, total: cached.append(Order.objects.count())
    )

    assert run.created == 20
    assert len(cached) == 20
    totals = sorted(set(cached))
    sizes = [after - before for before, after in zip([0, *totals], totals, strict=False)]
    assert sum(sizes) == 20
    assert min(sizes[:-1]) >= 4 * sync.BATCH_PER_WORKER


@pytest.mark.django_db
def test_order_listed_twice_is_fetched_once(telnyx_settings, sandbox, monkeypatch):
    listing = TelnyxClient.list_number_orders

    def shifted(self, **filters):
        orders = list(listing(self, **filters))
        return iter([*orders, orders[0]])  # a new order pushed the first one onto the next page

    monkeypatch.setattr(TelnyxClient, "list_number_orders", shifted)

    run = orders_sync()

    assert (run.seen, run.created, run.unchanged) == (21, 20, 1)
    assert len(fetched(sandbox)) == 20


@pytest.mark.django_db
def test_malformed_answer_counts_as_failed(telnyx_settings, sandbox):
    broken = order_ids(sandbox, "pending")[0]
    sandbox.faults.order_faults[broken] = "malformed"

    run = orders_sync()

    assert (run.created, run.failed) == (19, 1)
    assert "unexpected answer" in run.error


def test_sync_marks_an_order_gone_when_telnyx_no_longer_has_it(synced):
    vanished = order_ids(synced, "pending")[0]
    synced.faults.order_faults[vanished] = "404"

    run = orders_sync()

    assert run.failed == 1
    gone = Order.objects.get(pk=vanished)
    assert gone.gone_at is not None
    assert gone.changed_at == gone.gone_at
    assert Order.objects.exclude(pk=vanished).filter(gone_at__isnull=False).count() == 0


def test_reload_of_an_order_telnyx_lost_marks_it_gone_and_raises(synced):
    order_id = order_ids(synced, "success")[0]
    synced.faults.order_faults[order_id] = "404"

    with pytest.raises(TelnyxError) as raised:
        order_reload(order_id=order_id)

    assert raised.value.status == 404
    assert Order.objects.get(pk=order_id).gone_at is not None


def test_reload_clears_the_gone_mark_when_the_order_is_back(synced):
    order_id = order_ids(synced, "success")[0]
    Order.objects.filter(pk=order_id).update(gone_at=datetime(2026, 11, 1, tzinfo=UTC))

    order = order_reload(order_id=order_id)

    assert order.gone_at is None
    assert Order.objects.get(pk=order_id).gone_at is None


@pytest.mark.django_db
def test_reload_stores_an_order_not_cached_yet(telnyx_settings, sandbox):
    order_id = order_ids(sandbox, "pending")[0]

    order = order_reload(order_id=order_id)

    assert str(order.id) == order_id
    assert order.phone_numbers.count() == len(sandbox.orders[order_id]["phone_numbers"])
    assert fetched(sandbox) == [order_id]


@pytest.mark.django_db
def test_since_walks_only_orders_created_after_it(telnyx_settings, sandbox):
    created = sorted(datetime.fromisoformat(o["created_at"]) for o in sandbox.orders.values())
    since = created[10]

    run = orders_sync(since=since)

    newer = [o for o in sandbox.orders.values() if datetime.fromisoformat(o["created_at"]) > since]
    assert run.seen == run.created == len(newer) == 9
    listing = next(r for r in sandbox.requests if r.path == "/v2/number_orders")
    assert datetime.fromisoformat(listing.query["filter[created_at][gt]"]) == since


@pytest.mark.django_db
def test_sync_of_one_order_fetches_just_that_one(telnyx_settings, sandbox):
    order_id = order_ids(sandbox, "success")[2]

    run = orders_sync(order_id=order_id)

    assert (run.seen, run.created) == (1, 1)
    assert fetched(sandbox) == [order_id]
    assert not any(r.path == "/v2/number_orders" for r in sandbox.requests)


@pytest.mark.django_db
def test_sync_walks_every_page_of_the_listing(telnyx_settings, sandbox, monkeypatch):
    monkeypatch.setattr(sync, "LIST_PAGE_SIZE", 7)

    run = orders_sync()

    assert (run.seen, run.created) == (20, 20)
    pages = [r.query for r in sandbox.requests if r.path == "/v2/number_orders"]
    assert [(q["page[number]"], q["page[size]"]) for q in pages] == [
        ("1", "7"),
        ("2", "7"),
        ("3", "7"),
    ]


def test_progress_is_reported_after_every_order(synced):
    calls = []

    orders_sync(progress=lambda done, total: calls.append((done, total)))

    assert calls == [(done, None) for done in range(1, 21)]


def test_fetches_in_flight_stay_within_a_window_whatever_the_order_count(
    db, telnyx_settings, sandbox, monkeypatch
):
    """Memory stays flat: the sync never holds more than a few unfinished fetches, however
    many orders the listing yields, and each worker thread makes one client."""
    sandbox.faults.latency = 0.02
    outstanding = {"now": 0, "most": 0}
    clients = []

    class CountingPool(sync.ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            outstanding["now"] += 1
            outstanding["most"] = max(outstanding["most"], outstanding["now"])
            future = super().submit(fn, *args, **kwargs)
            future.add_done_callback(lambda _: outstanding.update(now=outstanding["now"] - 1))
            return future

    def counting_client():
        clients.append(get_client())
        return clients[-1]

    monkeypatch.setattr(sync, "ThreadPoolExecutor", CountingPool)
    monkeypatch.setattr(sync, "get_client", counting_client)

    run = orders_sync(concurrency=2)

    assert run.created == 20
    assert 2 <= outstanding["most"] <= 2 * sync.WINDOW_PER_WORKER
    # One for the listing, one per worker thread.
    assert len(clients) <= 1 + 2


# --- order_apply_payload (the webhook's way in) --------------------------------------------------


def payload_of(box, order_id: str, **changes) -> dict:
    payload = copy.deepcopy(box.orders[order_id])
    payload.update(changes)
    return payload


def later(stamp: str, minutes: int = 5) -> str:
    return (datetime.fromisoformat(stamp) + timedelta(minutes=minutes)).isoformat()


def test_payload_older_than_the_cache_changes_nothing_and_asks_nothing(synced):
    order_id = order_ids(synced, "pending")[0]
    cached = Order.objects.get(pk=order_id)
    old = (cached.updated_at - timedelta(hours=1)).isoformat()
    before = len(synced.requests)

    order, outcome = order_apply_payload(
        payload=payload_of(synced, order_id, updated_at=old, customer_reference="OLD")
    )

    assert outcome == SyncOutcome.STALE
    assert Order.objects.get(pk=order_id).customer_reference == cached.customer_reference
    assert synced.requests[before:] == []


def test_payload_of_the_version_we_hold_is_unchanged(synced):
    order_id = order_ids(synced, "success")[0]
    before = len(synced.requests)

    order, outcome = order_apply_payload(payload=payload_of(synced, order_id))

    assert (str(order.id), outcome) == (order_id, SyncOutcome.UNCHANGED)
    assert synced.requests[before:] == []


def test_full_payload_with_known_sub_orders_is_stored_without_asking_telnyx(synced):
    order_id = next(
        id_
        for id_ in order_ids(synced, "pending")
        if synced.orders[id_]["phone_numbers"][0]["regulatory_requirements"]
    )
    payload = payload_of(synced, order_id, customer_reference="FROM-WEBHOOK")
    payload["updated_at"] = later(payload["updated_at"])
    first = payload["phone_numbers"][0]
    first["regulatory_requirements"][0]["field_value"] = "pushed value"
    before = len(synced.requests)

    order, outcome = order_apply_payload(payload=payload)

    assert outcome == SyncOutcome.UPDATED
    assert order.customer_reference == "FROM-WEBHOOK"
    value = RequirementValue.objects.get(
        phone_number__telnyx_id=first["id"],
        requirement_id=first["regulatory_requirements"][0]["requirement_id"],
    )
    assert value.field_value == "pushed value"
    assert SubOrder.objects.filter(order_id=order_id).count() == len(
        payload["sub_number_orders_ids"]
    )
    assert synced.requests[before:] == []


def short_numbers(payload: dict) -> None:
    payload["phone_numbers"] = [
        {"id": n["id"], "phone_number": n["phone_number"]} for n in payload["phone_numbers"]
    ]


def no_numbers(payload: dict) -> None:
    del payload["phone_numbers"]


@pytest.mark.parametrize("cut", [short_numbers, no_numbers])
def test_partial_payload_is_refreshed_from_telnyx(synced, cut):
    order_id = order_ids(synced, "pending")[0]
    payload = payload_of(synced, order_id)
    payload["updated_at"] = later(payload["updated_at"])
    cut(payload)
    before = len(synced.requests)

    order, outcome = order_apply_payload(payload=payload)

    assert outcome == SyncOutcome.REFRESHED
    assert fetched(synced, before) == [order_id]
    assert order.phone_numbers.count() == len(synced.orders[order_id]["phone_numbers"])


def test_completion_payload_refreshes_sub_orders_still_pending_in_the_cache(synced):
    order_id = order_ids(synced, "pending")[0]
    completed = synced.orders[order_id]
    for sub_id in completed["sub_number_orders_ids"]:
        synced.sub_orders[sub_id]["status"] = "success"
    for number in completed["phone_numbers"]:
        number["status"] = "success"
    bump(synced, order_id, status="success")
    before = len(synced.requests)

    order, outcome = order_apply_payload(payload=copy.deepcopy(completed))

    assert outcome == SyncOutcome.REFRESHED
    assert fetched(synced, before) == [order_id]
    assert order.status == Status.SUCCESS
    assert not SubOrder.objects.filter(order_id=order_id, status=Status.PENDING).exists()


def test_payload_for_an_order_never_cached_is_fetched(db, telnyx_settings, sandbox):
    order_id = order_ids(sandbox, "success")[0]

    order, outcome = order_apply_payload(payload=payload_of(sandbox, order_id))

    assert (str(order.id), outcome) == (order_id, SyncOutcome.REFRESHED)
    assert SubOrder.objects.filter(order_id=order_id).count() > 0
