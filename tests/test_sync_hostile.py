"""The sync never aborts for one bad record: whatever Telnyx sends for an order, that order is
counted as failed with a reason naming the field, nothing unreadable is stored for it, the rest
of the sync goes on and every page still renders. Also an answer about another order, a number
under two orders, a listing that never ends, and a pushed payload holding the same values."""

import copy
import uuid

import pytest
from django.urls import reverse

from orders.locks import lease
from orders.models import Lease, Order, PhoneNumber
from orders.services.refresh import order_apply_payload
from orders.services.sync import SYNC_LOCK, orders_sync
from orders.telnyx import TelnyxClient, TelnyxError
from tests.helpers import FAKE_TELNYX, bump

OUT_OF_RANGE = "9999-12-31T23:59:59-14:00"  # year 10000 in UTC
YEAR_ONE = "0001-01-01T00:00:00Z"
NUL = "ACME\x00"


def _order(box, order_id):
    return box.orders[order_id]


def _number(box, order_id):
    return box.orders[order_id]["phone_numbers"][0]


def _requirement(box, order_id):
    return _number(box, order_id)["regulatory_requirements"][0]


def _sub_order(box, order_id):
    return box.sub_orders[box.orders[order_id]["sub_number_orders_ids"][0]]


# (where in the order, key, hostile value, what the failure says)
HOSTILE = [
    (_order, "created_at", OUT_OF_RANGE, "created_at is outside the years 1900-2199"),
    (_order, "updated_at", YEAR_ONE, "updated_at is outside the years 1900-2199"),
    (_number, "deadline", OUT_OF_RANGE, "phone_numbers[0].deadline is outside the years"),
    (_sub_order, "created_at", YEAR_ONE, "sub_number_orders[0].created_at is outside the years"),
    (_order, "phone_numbers_count", 1e30, "phone_numbers_count is not a whole number"),
    (_order, "phone_numbers_count", 2**70, "phone_numbers_count is not a whole number"),
    (_sub_order, "phone_numbers_count", 2**40, "phone_numbers_count is outside 0..2147483647"),
    (_order, "customer_reference", {"a": 1}, "customer_reference is not a string"),
    (_number, "locality", ["Zurich"], "phone_numbers[0].locality is not a string"),
    (_order, "requirements_met", "false", "requirements_met is not true or false"),
    (_number, "requirements_met", "false", "phone_numbers[0].requirements_met is not true or"),
    (_order, "customer_reference", NUL, "customer_reference holds a NUL character"),
    (
        _requirement,
        "field_value",
        "CHE\x00",
        "phone_numbers[0].regulatory_requirements[0].field_value holds a NUL character",
    ),
    (_order, "customer_reference", "R" * 256, "customer_reference is longer than 255 characters"),
    (_number, "locality", "L" * 129, "phone_numbers[0].locality is longer than 128 characters"),
]
IDS = [
    "created-year-10000",
    "updated-year-1",
    "deadline-year-10000",
    "sub-order-year-1",
    "count-1e30",
    "count-beyond-64-bits",
    "sub-order-count-beyond-32-bits",
    "text-holding-an-object",
    "text-holding-a-list",
    "order-flag-as-string",
    "number-flag-as-string",
    "nul-in-reference",
    "nul-in-a-requirement-value",
    "reference-too-long",
    "locality-too-long",
]


def victim_of(box) -> str:
    """A pending order (the sync refetches it every time) whose first number has requirements."""
    return next(
        id_
        for id_, order in box.orders.items()
        if order["status"] == "pending"
        and order["phone_numbers"][0]["regulatory_requirements"]
        and len(order["sub_number_orders_ids"]) == 1
    )


def assert_pages_render(client, order_ids) -> None:
    """The list, each order's page and the admin still render: nothing unreadable was stored."""
    assert client.get(reverse("order_list")).status_code == 200
    for order_id in order_ids:
        assert client.get(reverse("order_detail", args=[order_id])).status_code == 200
    assert client.get("/admin/orders/order/").status_code == 200
    assert client.get("/admin/orders/phonenumber/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("where", "key", "value", "reason"), HOSTILE, ids=IDS)
def test_a_new_order_with_a_value_the_cache_cannot_hold_fails_alone(
    telnyx_settings, sandbox, admin_client, where, key, value, reason
):
    victim = victim_of(sandbox)
    where(sandbox, victim)[key] = value

    run = orders_sync()

    assert run.finished_at is not None
    assert (run.seen, run.created, run.failed) == (20, 19, 1)
    assert f"order {victim}: " in run.error
    assert reason in run.error
    assert not Order.objects.filter(pk=victim).exists()
    assert not PhoneNumber.objects.filter(order_id=victim).exists()
    assert_pages_render(admin_client, Order.objects.values_list("pk", flat=True)[:3])
    # And the next sync is not poisoned either.
    assert orders_sync().failed == 1


@pytest.mark.parametrize(("where", "key", "value", "reason"), HOSTILE, ids=IDS)
def test_a_cached_order_changed_into_a_value_the_cache_cannot_hold_is_left_as_it_was(
    synced, admin_client, cache_snapshot, where, key, value, reason
):
    victim = victim_of(synced)
    before = cache_snapshot(victim)
    bump(synced, victim)
    where(synced, victim)[key] = value

    run = orders_sync()

    assert (run.failed, run.created + run.updated + run.unchanged) == (1, 19)
    assert reason in run.error
    assert cache_snapshot(victim) == before
    assert_pages_render(admin_client, [victim])


@pytest.mark.django_db
def test_listing_items_that_are_not_objects_each_count_as_failed(
    telnyx_settings, sandbox, monkeypatch
):
    listing = TelnyxClient.list_number_orders

    def with_junk(self, **filters):
        return iter([None, *listing(self, **filters), "x", 42, []])

    monkeypatch.setattr(TelnyxClient, "list_number_orders", with_junk)

    run = orders_sync()

    assert (run.seen, run.created, run.failed) == (24, 20, 4)
    assert "item is not an object: None" in run.error
    assert "item is not an object: []" in run.error


# --- answers about another order ---------------------------------------------------------------


def test_an_answer_about_another_order_is_refused(synced, cache_snapshot):
    """Telnyx answered GET /number_orders/{victim} with the other order: storing it would have
    overwritten the other order with the victim's sub orders."""
    victim = victim_of(synced)
    other = next(id_ for id_, order in synced.orders.items() if order["status"] == "success")
    bump(synced, victim)
    before = {order_id: cache_snapshot(order_id) for order_id in (victim, other)}
    answer = copy.deepcopy(synced.orders[other])

    def answering_for_another(self, order_id):
        return answer if order_id == victim else get_number_order(self, order_id)

    get_number_order = TelnyxClient.get_number_order
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TelnyxClient, "get_number_order", answering_for_another)
        run = orders_sync()

    assert run.failed == 1
    assert f"order {victim}: " in run.error
    assert f"id is another order's: '{other}'" in run.error
    assert {order_id: cache_snapshot(order_id) for order_id in (victim, other)} == before


def test_a_phone_number_id_under_two_orders_is_reported_not_moved(synced, cache_snapshot):
    holder, claimer = _two_pending(synced)
    number_id = synced.orders[holder]["phone_numbers"][0]["id"]
    before = cache_snapshot(claimer)
    bump(synced, claimer)
    synced.orders[claimer]["phone_numbers"][0]["id"] = number_id

    run = orders_sync()

    assert run.failed == 1
    assert f"order {claimer}: " in run.error
    assert f"phone number {number_id} shows up under orders {holder} and {claimer}" in run.error
    assert str(PhoneNumber.objects.get(telnyx_id=number_id).order_id) == holder
    assert cache_snapshot(claimer) == before


def _two_pending(box) -> tuple[str, str]:
    pending = [id_ for id_, order in box.orders.items() if order["status"] == "pending"]
    return pending[0], pending[1]


@pytest.mark.django_db
def test_two_new_orders_listing_one_phone_number_id_store_one_and_report_the_other(
    telnyx_settings, sandbox
):
    """Fetched together they are refused as one batch; stored one by one, whichever comes first
    keeps the number and the other fails, naming both."""
    first, second = _two_pending(sandbox)
    number_id = sandbox.orders[first]["phone_numbers"][0]["id"]
    sandbox.orders[second]["phone_numbers"][0]["id"] = number_id
    sandbox.faults.latency = 0.01  # lets fetches finish together, so batches form

    run = orders_sync(concurrency=4)

    assert (run.created, run.failed) == (19, 1)
    holder = str(PhoneNumber.objects.get(telnyx_id=number_id).order_id)
    claimer = second if holder == first else first
    assert not Order.objects.filter(pk=claimer).exists()
    assert f"shows up under orders {holder} and {claimer}" in run.error


# --- a listing that never ends -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("total_pages", "failure"),
    [
        (5, "repeated an earlier page as page 2"),
        (10**9, "claims 1000000000 pages"),
    ],
    ids=["repeated-page", "absurd-total-pages"],
)
def test_a_listing_that_would_never_end_stops_the_sync_with_a_clear_failure(
    mocked_telnyx, total_pages, failure
):
    """Telnyx ignores page[number] and serves its first page again and again."""
    order_id = str(uuid.uuid4())
    mocked_telnyx.get(
        f"{FAKE_TELNYX}/number_orders",
        json={
            "data": [{"id": order_id, "status": "success", "updated_at": "2026-11-01T00:00:00Z"}],
            "meta": {"page_number": 1, "total_pages": total_pages},
        },
    )
    mocked_telnyx.get(f"{FAKE_TELNYX}/number_orders/{order_id}", status=404, json={"errors": []})

    run = orders_sync()

    assert run.finished_at is not None and not run.ok
    assert "listing orders stopped: Telnyx sent an unexpected answer (the listing" in run.error
    assert failure in run.error
    listing = [c for c in mocked_telnyx.calls if "/number_orders?" in c.request.url]
    assert len(listing) <= 2
    assert not Lease.objects.filter(name=SYNC_LOCK).exists()
    with lease(SYNC_LOCK):  # released: the next sync can take it
        pass


# --- a pushed payload (the webhook's way in) goes through the same reader ----------------------


# A payload is the order alone: its sub orders are the cached ones.
PAYLOAD_HOSTILE = [
    pytest.param(*case, id=id_)
    for case, id_ in zip(HOSTILE, IDS, strict=True)
    if case[0] is not _sub_order
]


@pytest.mark.parametrize(("where", "key", "value", "reason"), PAYLOAD_HOSTILE)
def test_a_pushed_payload_with_a_value_the_cache_cannot_hold_is_refused(
    synced, admin_client, cache_snapshot, where, key, value, reason
):
    victim = victim_of(synced)
    before = cache_snapshot(victim)
    bump(synced, victim)
    where(synced, victim)[key] = value
    payload = copy.deepcopy(synced.orders[victim])

    with pytest.raises(TelnyxError) as refused:
        order_apply_payload(payload=payload)

    assert refused.value.kind == "malformed"
    field = reason.split()[0]
    assert field in str(refused.value)
    assert cache_snapshot(victim) == before
    assert_pages_render(admin_client, [victim])


@pytest.mark.parametrize(
    "payload",
    [
        {"id": 42, "status": "pending"},
        {"id": str(uuid.uuid4()), "status": "pending", "updated_at": OUT_OF_RANGE},
        {"id": str(uuid.uuid4()), "status": "pending\x00"},
        {"id": str(uuid.uuid4()), "status": "pending", "phone_numbers": ["x"]},
        {"id": str(uuid.uuid4()), "status": "pending", "sub_number_orders_ids": [None]},
    ],
    ids=["id-not-a-uuid", "updated-year-10000", "nul-in-status", "number-not-an-object", "sub"],
)
def test_a_pushed_payload_is_read_strictly_before_the_cache_is_looked_at(synced, payload):
    before = len(synced.requests)

    with pytest.raises(TelnyxError) as refused:
        order_apply_payload(payload=payload)

    assert refused.value.kind == "malformed"
    assert synced.requests[before:] == []


@pytest.mark.django_db
def test_a_number_entry_that_is_not_an_object_fails_its_order_naming_it(
    telnyx_settings, sandbox, monkeypatch
):
    victim = victim_of(sandbox)
    get_number_order = TelnyxClient.get_number_order

    def with_a_bare_number(self, order_id):
        answer = get_number_order(self, order_id)
        if order_id == victim:
            answer["phone_numbers"].append("+41215470000")
        return answer

    monkeypatch.setattr(TelnyxClient, "get_number_order", with_a_bare_number)

    run = orders_sync()

    assert (run.created, run.failed) == (19, 1)
    position = len(sandbox.orders[victim]["phone_numbers"])
    assert f"phone_numbers[{position}] is not an object: '+41215470000'" in run.error


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("label", "L" * 256, "label is longer than 255 characters"),
        ("description", "Registration\x00", "description holds a NUL character"),
        ("acceptance_criteria", {"regex": "^CHE\x00"}, "acceptance_criteria holds a NUL character"),
    ],
    ids=["label-too-long", "nul-in-description", "nul-in-criteria"],
)
def test_orders_needing_a_requirement_definition_the_cache_cannot_hold_fail_and_only_they(
    telnyx_settings, sandbox, admin_client, key, value, reason
):
    victim = victim_of(sandbox)
    requirement_id = _requirement(sandbox, victim)["requirement_id"]
    sandbox.definitions[requirement_id][key] = value
    needing = {
        id_
        for id_, order in sandbox.orders.items()
        for number in order["phone_numbers"]
        for requirement in number["regulatory_requirements"]
        if requirement["requirement_id"] == requirement_id
    }

    run = orders_sync()

    assert (run.created, run.failed) == (20 - len(needing), len(needing))
    assert reason in run.error
    assert not Order.objects.filter(pk__in=needing).exists()
    assert_pages_render(admin_client, Order.objects.values_list("pk", flat=True)[:3])
