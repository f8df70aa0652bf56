"""The Telnyx sandbox: deterministic realistic data, Telnyx's endpoints and errors, persisted
writes, and every fault knob. Talks to it over real HTTP, as the dashboard does."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import requests

from sandbox.catalogue import build_catalogue, classify, validate_value
from sandbox.data import generate
from sandbox.server import Sandbox
from tests.helpers import SANDBOX_KEY, sandbox_pending_requirement

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def api(sandbox):
    """A session that authenticates like the dashboard; `api.get("/number_orders")`."""
    session = _Api(sandbox.url)
    session.headers["Authorization"] = f"Bearer {SANDBOX_KEY}"
    yield session
    session.close()


class _Api(requests.Session):
    def __init__(self, base: str):
        super().__init__()
        self.base = base

    def request(self, method, path, *args, **kwargs):
        kwargs.setdefault("timeout", 5)
        return super().request(method, self.base + path, *args, **kwargs)


def _numbers(box: Sandbox):
    return [number for order in box.orders.values() for number in order["phone_numbers"]]


def _values(box: Sandbox):
    return [item for number in _numbers(box) for item in number["regulatory_requirements"]]


def _criteria(box: Sandbox, item: dict) -> dict:
    return box.definitions[item["requirement_id"]]["acceptance_criteria"]


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"errors"}
    return body["errors"][0]


# -- data ----------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_orders_and_another_seed_does_not():
    first, again, other = (generate(orders=40, seed=seed) for seed in (11, 11, 12))
    assert json.dumps(first.orders) == json.dumps(again.orders)
    assert json.dumps(first.sub_orders) == json.dumps(again.sub_orders)
    assert json.dumps(first.orders) != json.dumps(other.orders)


def test_requirement_ids_do_not_depend_on_the_seed():
    ids = [{v["requirement_id"] for v in _values_of(generate(orders=60, seed=s))} for s in (1, 2)]
    catalogue_ids = {d["id"] for defs in build_catalogue().values() for d in defs}
    assert ids[0] <= catalogue_ids and ids[1] <= catalogue_ids


def _values_of(world):
    return [
        item
        for order in world.orders.values()
        for number in order["phone_numbers"]
        for item in number["regulatory_requirements"]
    ]


def test_small_sandbox_still_shows_every_status_field_type_and_requirement_state(sandbox):
    assert {order["status"] for order in sandbox.orders.values()} == {
        "pending",
        "success",
        "failure",
    }
    assert len({number["country_code"] for number in _numbers(sandbox)}) >= 8
    values = _values(sandbox)
    assert {item["field_type"] for item in values} == {"textual", "datetime", "address", "document"}
    states = Counter(item["status"] for item in values)
    assert {"approved", "", "declined", "pending-approval"} <= set(states)
    assert all(item["field_value"] == "" for item in values if item["status"] == "")
    assert all(item["field_value"] for item in values if item["status"] != "")
    assert {order["requirements_met"] for order in sandbox.orders.values()} == {True, False}


def test_large_sandbox_has_big_orders_many_countries_and_every_number_type():
    world = generate(orders=300, seed=3)
    counts = [order["phone_numbers_count"] for order in world.orders.values()]
    assert any(200 <= count <= 600 for count in counts)
    assert all(1 <= count <= 600 for count in counts)
    numbers = [n for order in world.orders.values() for n in order["phone_numbers"]]
    assert {"US", "CA", "GB", "DE", "FR", "NL", "CH", "AU", "JP", "BR", "ES", "IT", "SE", "BE",
            "AT", "IE"} <= {n["country_code"] for n in numbers}  # fmt: skip
    assert {n["phone_number_type"] for n in numbers} == {"local", "mobile", "national", "toll_free"}
    assert "" in {order["customer_reference"] for order in world.orders.values()}


def test_numbers_are_unique_plausible_e164_for_their_country_and_type(sandbox):
    numbers = _numbers(sandbox)
    assert len({n["phone_number"] for n in numbers}) == len(numbers)
    for number in numbers:
        assert number["phone_number"].startswith("+") and number["phone_number"][1:].isdigit()
        assert 10 <= len(number["phone_number"]) <= 14
        country, number_type, _ = classify(number["phone_number"])
        assert (country, number_type) == (number["country_code"], number["phone_number_type"])


def test_order_counts_sub_orders_and_deadlines_are_consistent(sandbox):
    for order in sandbox.orders.values():
        assert order["phone_numbers_count"] == len(order["phone_numbers"])
        subs = [sandbox.sub_orders[sub_id] for sub_id in order["sub_number_orders_ids"]]
        pairs = [(s["country_code"], s["phone_number_type"]) for s in subs]
        assert len(pairs) == len(set(pairs)), "one sub order per (country, type)"
        assert sum(s["phone_numbers_count"] for s in subs) == order["phone_numbers_count"]
        for number in order["phone_numbers"]:
            sub = sandbox.sub_orders[number["sub_number_order_id"]]
            assert (sub["country_code"], sub["phone_number_type"]) == (
                number["country_code"],
                number["phone_number_type"],
            )
        assert {n["deadline"][:10] for n in order["phone_numbers"]} == {
            _days_later(order["created_at"], 2)
        }
        assert order["created_at"] <= order["updated_at"] <= "2026-11-16T09:00:00.000000Z"


def _days_later(stamp: str, days: int) -> str:
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(stamp) + timedelta(days=days)).date().isoformat()


def test_met_flags_follow_requirement_statuses(sandbox):
    expected_status = {
        "declined": "requirement-info-exception",
        "": "requirement-info-pending",
        "pending-approval": "requirement-info-under-review",
    }
    for order in sandbox.orders.values():
        for number in order["phone_numbers"]:
            statuses = [item["status"] for item in number["regulatory_requirements"]]
            assert number["requirements_met"] == all(s == "approved" for s in statuses)
            worst = next((s for s in expected_status if s in statuses), None)
            assert number["requirements_status"] == expected_status.get(worst, "approved")
        assert order["requirements_met"] == all(
            n["requirements_met"] for n in order["phone_numbers"]
        )
    for sub in sandbox.sub_orders.values():
        numbers = [
            n for n in sandbox.orders[sub["order_request_id"]]["phone_numbers"]
            if n["sub_number_order_id"] == sub["id"]
        ]  # fmt: skip
        assert sub["requirements_met"] == all(n["requirements_met"] for n in numbers)


def test_catalogue_covers_every_field_type_and_its_examples_and_values_are_acceptable(sandbox):
    definitions = sandbox.definitions.values()
    assert {d["field_type"] for d in definitions} == {"textual", "datetime", "address", "document"}
    criteria = {key for d in definitions for key in d["acceptance_criteria"]}
    assert {"locality_limit", "regex", "min_length", "max_length", "acceptable_values",
            "time_limit"} <= criteria  # fmt: skip
    for definition in definitions:
        assert definition["label"] and definition["description"] and definition["example"]
        if definition["field_type"] in ("textual", "datetime"):
            assert validate_value(definition, definition["example"]) is None, definition
    for item in _values(sandbox):
        if item["field_value"]:
            definition = sandbox.definitions[item["requirement_id"]]
            assert validate_value(definition, item["field_value"]) is None, item


# -- reads ---------------------------------------------------------------------------------------


def test_orders_list_newest_first_in_pages_with_meta(api, sandbox):
    first = api.get("/number_orders", params={"page[size]": 7}).json()
    third = api.get("/number_orders", params={"page[size]": 7, "page[number]": 3}).json()
    assert first["meta"] == {
        "page_number": 1,
        "page_size": 7,
        "total_pages": 3,
        "total_results": 20,
    }
    assert len(first["data"]) == 7 and len(third["data"]) == 6
    created = [order["created_at"] for order in first["data"] + third["data"]]
    assert created == sorted(created, reverse=True)
    assert api.get("/number_orders").json()["meta"]["page_size"] == 20


def test_listed_orders_carry_short_phone_numbers(api, sandbox):
    listed = api.get("/number_orders", params={"page[size]": 1}).json()["data"][0]
    full = sandbox.orders[listed["id"]]
    assert listed["phone_numbers"] == [
        {"id": n["id"], "phone_number": n["phone_number"]} for n in full["phone_numbers"]
    ]
    assert {k: v for k, v in listed.items() if k != "phone_numbers"} == {
        k: v for k, v in full.items() if k != "phone_numbers"
    }


@pytest.mark.parametrize("size", ["0", "251", "ten"])
def test_page_size_outside_1_to_250_is_refused_naming_the_parameter(api, size):
    response = api.get("/number_orders", params={"page[size]": size})
    assert response.status_code == 400
    assert _error(response)["source"] == {"parameter": "page[size]"}
    assert _error(response)["code"] == "10015"


def test_order_filters(api, sandbox):
    def ids(**params):
        query = {f"filter[{k}]": v for k, v in params.items()} | {"page[size]": 250}
        response = api.get("/number_orders", params=query)
        assert response.status_code == 200, response.text
        return {order["id"] for order in response.json()["data"]}

    orders = list(sandbox.orders.values())
    assert ids(status="failure") == {o["id"] for o in orders if o["status"] == "failure"}
    middle = orders[10]["created_at"]
    assert ids(**{"created_at][gt": middle}) == {o["id"] for o in orders[:10]}
    assert ids(**{"created_at][lt": middle}) == {o["id"] for o in orders[11:]}
    count = orders[3]["phone_numbers_count"]
    assert ids(phone_numbers_count=count) == {
        o["id"] for o in orders if o["phone_numbers_count"] == count
    }
    reference = next(o["customer_reference"] for o in orders if o["customer_reference"])
    assert ids(customer_reference=reference) == {
        o["id"] for o in orders if o["customer_reference"] == reference
    }
    assert ids(requirements_met="false") == {o["id"] for o in orders if not o["requirements_met"]}


@pytest.mark.parametrize(
    "parameter, value",
    [
        ("filter[created_at][gt]", "last tuesday"),
        ("filter[phone_numbers_count]", "many"),
        ("filter[requirements_met]", "maybe"),
        ("page[number]", "0"),
    ],
)
def test_unreadable_filter_is_a_400_naming_it(api, parameter, value):
    response = api.get("/number_orders", params={parameter: value})
    assert response.status_code == 400
    assert _error(response)["source"] == {"parameter": parameter}


def test_get_order_answers_the_full_order(api, sandbox):
    order_id = next(iter(sandbox.orders))
    response = api.get(f"/number_orders/{order_id}")
    assert response.status_code == 200
    assert response.json() == {"data": sandbox.orders[order_id]}
    number = response.json()["data"]["phone_numbers"][0]
    assert {"regulatory_requirements", "requirements_met", "requirements_status", "status",
            "phone_number_type", "country_code", "deadline"} <= set(number)  # fmt: skip


def test_sub_orders_filtered_by_order_and_with_phone_numbers_on_request(api, sandbox):
    order = max(sandbox.orders.values(), key=lambda o: len(o["sub_number_orders_ids"]))
    listed = api.get("/sub_number_orders", params={"filter[order_request_id]": order["id"]})
    assert [s["id"] for s in listed.json()["data"]] == order["sub_number_orders_ids"]
    assert listed.json()["meta"]["total_results"] == len(order["sub_number_orders_ids"])
    sub_id = order["sub_number_orders_ids"][0]
    plain = api.get(f"/sub_number_orders/{sub_id}").json()["data"]
    assert "phone_numbers" not in plain
    assert plain["regulatory_requirements"][0]["record_type"] == (
        "phone_number_regulatory_requirement"
    )
    full = api.get(f"/sub_number_orders/{sub_id}", params={"filter[include_phone_numbers]": "true"})
    numbers = full.json()["data"]["phone_numbers"]
    assert numbers and all(n["sub_number_order_id"] == sub_id for n in numbers)
    assert len(numbers) == min(50, plain["phone_numbers_count"])


def test_sub_orders_filtered_by_status_country_and_type(api, sandbox):
    sub = next(iter(sandbox.sub_orders.values()))
    query = {
        "filter[status]": sub["status"],
        "filter[country_code]": sub["country_code"],
        "filter[phone_number_type]": sub["phone_number_type"],
        "page[size]": 250,
    }
    listed = api.get("/sub_number_orders", params=query).json()["data"]
    assert sub["id"] in {s["id"] for s in listed}
    assert all((s["status"], s["country_code"], s["phone_number_type"]) == (
        sub["status"], sub["country_code"], sub["phone_number_type"]) for s in listed)  # fmt: skip


def test_phone_numbers_listed_by_country_and_fetched_one_by_one(api, sandbox):
    numbers = _numbers(sandbox)
    country = numbers[0]["country_code"]
    listed = api.get(
        "/number_order_phone_numbers", params={"filter[country_code]": country, "page[size]": 250}
    ).json()
    assert listed["data"] == [n for n in numbers if n["country_code"] == country]
    one = api.get(f"/number_order_phone_numbers/{numbers[0]['id']}").json()["data"]
    assert one["order_request_id"] in sandbox.orders
    assert one == numbers[0]


def test_requirements_per_phone_number_come_from_the_catalogue(api, sandbox):
    numbers = [n for n in _numbers(sandbox) if n["regulatory_requirements"]][:2]
    # Unencoded, as Telnyx's own example writes it: the '+' arrives as a space.
    query = ",".join(n["phone_number"] for n in numbers)
    answer = api.get(f"/phone_numbers_regulatory_requirements?filter[phone_number]={query}")
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert [d["phone_number"] for d in data] == [n["phone_number"] for n in numbers]
    first = data[0]
    assert first["phone_number_type"] == numbers[0]["phone_number_type"]
    assert first["region_information"] == [
        {"region_type": "country_code", "region_name": numbers[0]["country_code"]}
    ]
    assert [r["id"] for r in first["regulatory_requirements"]] == [
        item["requirement_id"] for item in numbers[0]["regulatory_requirements"]
    ]
    assert set(first["regulatory_requirements"][0]) == {
        "id", "label", "description", "example", "field_type", "acceptance_criteria",
        "record_type",
    }  # fmt: skip


def test_requirements_lookup_refuses_a_missing_or_unknown_number(api):
    missing = api.get("/phone_numbers_regulatory_requirements")
    assert missing.status_code == 400
    assert _error(missing)["source"] == {"parameter": "filter[phone_number]"}
    unknown = api.get(
        "/phone_numbers_regulatory_requirements", params={"filter[phone_number]": "+999"}
    )
    assert unknown.status_code == 400


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Token {SANDBOX_KEY}"])
def test_missing_or_wrong_key_is_401(sandbox, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = requests.get(f"{sandbox.url}/number_orders", headers=headers, timeout=5)
    assert response.status_code == 401
    assert _error(response)["code"] == "10009"
    assert _error(response)["title"] == "Authentication failed"


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/number_orders/00000000-0000-4000-8000-000000000000"),
        ("PATCH", "/number_orders/00000000-0000-4000-8000-000000000000"),
        ("GET", "/sub_number_orders/00000000-0000-4000-8000-000000000000"),
        ("PATCH", "/sub_number_orders/00000000-0000-4000-8000-000000000000/cancel"),
        ("GET", "/number_order_phone_numbers/00000000-0000-4000-8000-000000000000"),
        ("GET", "/no_such_thing"),
    ],
)
def test_unknown_ids_and_routes_are_404_in_telnyx_format(api, method, path):
    response = api.request(method, path, json={})
    assert response.status_code == 404
    assert _error(response)["code"] == "10005"
    assert _error(response)["meta"]["url"].endswith("10005")


# -- writes --------------------------------------------------------------------------------------


def test_patch_sets_the_value_on_every_number_of_the_order_and_moves_updated_at(api, sandbox):
    order, item = sandbox_pending_requirement(sandbox, "address")
    requirement_id = item["requirement_id"]
    before = order["updated_at"]
    value = next(iter(sandbox.addresses))
    response = api.patch(
        f"/number_orders/{order['id']}",
        json={
            "regulatory_requirements": [{"requirement_id": requirement_id, "field_value": value}]
        },
    )
    assert response.status_code == 200
    answered = response.json()["data"]
    assert answered["updated_at"] > before
    again = api.get(f"/number_orders/{order['id']}").json()["data"]
    assert again == answered
    items = [
        i for n in again["phone_numbers"] for i in n["regulatory_requirements"]
        if i["requirement_id"] == requirement_id
    ]  # fmt: skip
    assert items and all(i["field_value"] == value for i in items)
    assert all(i["status"] == "pending-approval" for i in items)
    assert not again["requirements_met"]
    for number in again["phone_numbers"]:
        if any(i["requirement_id"] == requirement_id for i in number["regulatory_requirements"]):
            assert not number["requirements_met"]
            assert number["requirements_status"] != "approved"
            sub = sandbox.sub_orders[number["sub_number_order_id"]]
            assert sub["updated_at"] == answered["updated_at"]


def test_patch_customer_reference_reaches_the_sub_orders(api, sandbox):
    order = next(iter(sandbox.orders.values()))
    response = api.patch(f"/number_orders/{order['id']}", json={"customer_reference": "ACME-9"})
    assert response.json()["data"]["customer_reference"] == "ACME-9"
    listed = api.get("/number_orders", params={"filter[customer_reference]": "ACME-9"}).json()
    assert [o["id"] for o in listed["data"]] == [order["id"]]
    for sub_id in order["sub_number_orders_ids"]:
        assert sandbox.sub_orders[sub_id]["customer_reference"] == "ACME-9"


def test_successive_writes_have_increasing_updated_at(api, sandbox):
    order = next(iter(sandbox.orders.values()))
    stamps = [
        api.patch(f"/number_orders/{order['id']}", json={"customer_reference": f"R{i}"}).json()[
            "data"
        ]["updated_at"]
        for i in range(3)
    ]
    assert stamps == sorted(set(stamps))


@pytest.mark.parametrize(
    "field_type, value, reason",
    [
        ("textual", "x", "at least"),
        ("datetime", "27/03/2014", "ISO 8601"),
        ("address", "Bahnhofstrasse 1, Zürich", "UUID"),
        ("document", "passport.pdf", "UUID"),
    ],
)
def test_invalid_value_is_422_pointing_at_it_and_changes_nothing(
    api, sandbox, field_type, value, reason
):
    order, item = sandbox_pending_requirement(sandbox, field_type)
    if field_type == "textual":  # one with a minimum length
        order, item = next(
            (o, i) for o in sandbox.orders.values() if o["status"] == "pending"
            for n in o["phone_numbers"] for i in n["regulatory_requirements"]
            if _criteria(sandbox, i).get("min_length", 0) > 1
        )  # fmt: skip
    before = json.dumps(order)
    body = {
        "customer_reference": "CHANGED",
        "regulatory_requirements": [
            {"requirement_id": item["requirement_id"], "field_value": value}
        ],
    }
    response = api.patch(f"/number_orders/{order['id']}", json=body)
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "10015" and error["title"] == "Invalid value"
    assert error["source"] == {"pointer": "/regulatory_requirements/0/field_value"}
    assert reason in error["detail"]
    assert json.dumps(sandbox.orders[order["id"]]) == before


def test_value_outside_acceptable_values_is_refused(api, sandbox):
    order, item = next(
        (o, i) for o in sandbox.orders.values()
        for n in o["phone_numbers"] for i in n["regulatory_requirements"]
        if _criteria(sandbox, i).get("acceptable_values")
    )  # fmt: skip
    body = {"regulatory_requirements": [{"requirement_id": item["requirement_id"],
                                         "field_value": "a company"}]}  # fmt: skip
    response = api.patch(f"/number_orders/{order['id']}", json=body)
    assert response.status_code == 422
    assert "business" in _error(response)["detail"]


def test_requirement_of_another_order_is_422_pointing_at_its_id(api, sandbox):
    order = next(
        o for o in sandbox.orders.values() if o["phone_numbers"][0]["country_code"] == "US"
    )
    foreign = next(iter(sandbox.definitions))
    body = {
        "regulatory_requirements": [
            {"requirement_id": foreign, "field_value": "x"},
        ]
    }
    response = api.patch(f"/number_orders/{order['id']}", json=body)
    assert response.status_code == 422
    assert _error(response)["source"] == {"pointer": "/regulatory_requirements/0/requirement_id"}


def test_every_invalid_item_gets_its_own_error(api, sandbox):
    order, item = sandbox_pending_requirement(sandbox, "document")
    body = {
        "regulatory_requirements": [
            {"requirement_id": item["requirement_id"], "field_value": "nope"},
            {"requirement_id": "not-a-requirement", "field_value": "x"},
        ]
    }
    errors = api.patch(f"/number_orders/{order['id']}", json=body).json()["errors"]
    assert [e["source"]["pointer"] for e in errors] == [
        "/regulatory_requirements/0/field_value",
        "/regulatory_requirements/1/requirement_id",
    ]


@pytest.mark.parametrize("body", ["{not json", "[]", ""])
def test_patch_body_that_is_not_a_json_object_is_400(api, sandbox, body):
    order_id = next(iter(sandbox.orders))
    response = api.patch(
        f"/number_orders/{order_id}", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert _error(response)["code"] == "10015"


def test_cancel_fails_the_pending_sub_order_its_numbers_and_follows_on_the_order(api, sandbox):
    order = next(
        o for o in sandbox.orders.values()
        if o["status"] == "pending" and len(o["sub_number_orders_ids"]) == 1
    )  # fmt: skip
    sub_id = order["sub_number_orders_ids"][0]
    before = order["updated_at"]
    response = api.patch(f"/sub_number_orders/{sub_id}/cancel")
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "failure"
    assert response.json()["data"]["id"] == sub_id
    again = api.get(f"/number_orders/{order['id']}").json()["data"]
    assert again["status"] == "failure"
    assert again["updated_at"] > before
    assert {(n["status"], n["requirements_status"]) for n in again["phone_numbers"]} == {
        ("failure", "cancelled")
    }


def test_cancel_refused_for_non_pending_sub_order(api, sandbox):
    sub = next(s for s in sandbox.sub_orders.values() if s["status"] == "success")
    before = json.dumps(sandbox.orders[sub["order_request_id"]])
    response = api.patch(f"/sub_number_orders/{sub['id']}/cancel")
    assert response.status_code == 422
    assert _error(response)["detail"].startswith("Only pending sub number orders can be cancelled")
    assert sub["status"] == "success"
    assert json.dumps(sandbox.orders[sub["order_request_id"]]) == before


def test_cancelled_numbers_no_longer_take_requirement_values(api, sandbox):
    # Requirement ids are per (country, number type), as are sub orders: cancelling the sub
    # order leaves no open number with that requirement.
    order, item = sandbox_pending_requirement(sandbox, "document")
    number = next(n for n in order["phone_numbers"] if item in n["regulatory_requirements"])
    api.patch(f"/sub_number_orders/{number['sub_number_order_id']}/cancel")
    value = "6d3c2f8e-7a51-4c0b-9d1e-2f4a5b6c7d8e"
    body = {"regulatory_requirements": [{"requirement_id": item["requirement_id"],
                                         "field_value": value}]}  # fmt: skip
    response = api.patch(f"/number_orders/{order['id']}", json=body)
    assert response.status_code == 422
    assert _error(response)["source"] == {"pointer": "/regulatory_requirements/0/requirement_id"}
    assert item["field_value"] != value


# -- faults and the control endpoints ------------------------------------------------------------


def test_every_api_request_is_recorded(api, sandbox):
    order_id = next(iter(sandbox.orders))
    api.get("/number_orders", params={"filter[status]": "pending"})
    api.patch(f"/number_orders/{order_id}", json={"customer_reference": "X"})
    listed, patched = sandbox.requests[-2:]
    assert (listed.method, listed.path, listed.query) == (
        "GET",
        "/v2/number_orders",
        {"filter[status]": "pending"},
    )
    assert listed.status == 200 and listed.body is None
    assert (patched.method, patched.body) == ("PATCH", {"customer_reference": "X"})
    assert patched.headers["authorization"] == f"Bearer {SANDBOX_KEY}"


def test_latency_delays_answers_past_a_short_client_timeout(api, sandbox):
    sandbox.faults.latency = 5
    with pytest.raises(requests.ReadTimeout):
        api.get("/number_orders", timeout=0.2)
    sandbox.faults.latency = 0
    assert api.get("/number_orders").status_code == 200


def test_error_rate_answers_500_in_telnyx_format(api, sandbox):
    sandbox.faults.error_rate = 1.0
    response = api.get("/number_orders")
    assert response.status_code == 500
    assert _error(response)["code"] == "10007"
    sandbox.faults.error_rate = 0.5
    statuses = Counter(api.get("/number_orders").status_code for _ in range(40))
    assert set(statuses) == {200, 500}


def test_rate_limit_burst_answers_429_with_headers_then_recovers(api, sandbox):
    sandbox.faults.rate_limit_burst = 2
    answers = [api.get("/number_orders") for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    limited = answers[0]
    assert _error(limited)["code"] == "10011"
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert int(limited.headers["x-ratelimit-reset"]) >= 0
    assert int(limited.headers["x-ratelimit-limit"]) > 0


def test_order_fault_timeout_never_answers(api, sandbox):
    order = next(iter(sandbox.orders.values()))
    sandbox.faults.order_faults[order["id"]] = "timeout"
    with pytest.raises(requests.ReadTimeout):
        api.get(f"/number_orders/{order['id']}", timeout=0.3)
    with pytest.raises(requests.ReadTimeout):
        api.get(f"/sub_number_orders/{order['sub_number_orders_ids'][0]}", timeout=0.3)
    other = list(sandbox.orders)[1]
    assert api.get(f"/number_orders/{other}").status_code == 200


@pytest.mark.parametrize("kind, status", [("500", 500), ("404", 404)])
def test_order_fault_answers_errors_for_everything_about_that_order(api, sandbox, kind, status):
    order = next(iter(sandbox.orders.values()))
    sandbox.faults.order_faults[order["id"]] = kind
    about = [
        ("GET", f"/number_orders/{order['id']}"),
        ("PATCH", f"/number_orders/{order['id']}"),
        ("GET", f"/sub_number_orders/{order['sub_number_orders_ids'][0]}"),
        ("GET", f"/number_order_phone_numbers/{order['phone_numbers'][0]['id']}"),
    ]
    for method, path in about:
        response = api.request(method, path, json={})
        assert response.status_code == status, path
        assert "errors" in response.json()
    listed = api.get("/sub_number_orders", params={"filter[order_request_id]": order["id"]})
    assert listed.status_code == status


def test_order_fault_malformed_answers_broken_json(api, sandbox):
    order_id = next(iter(sandbox.orders))
    sandbox.faults.order_faults[order_id] = "malformed"
    response = api.get(f"/number_orders/{order_id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        response.json()


def test_stop_does_not_wait_for_a_hanging_timeout_fault():
    box = Sandbox(orders=3, seed=1, api_key="k").start()
    order_id = next(iter(box.orders))
    box.faults.order_faults[order_id] = "timeout"
    with pytest.raises(requests.ReadTimeout):
        requests.get(
            f"{box.url}/number_orders/{order_id}",
            headers={"Authorization": "Bearer k"},
            timeout=0.2,
        )
    box.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{box.url}/number_orders", timeout=1)


def test_faults_can_be_set_over_http(sandbox, api):
    order_id = next(iter(sandbox.orders))
    control = sandbox.url.removesuffix("/v2") + "/_sandbox"
    body = {"rate_limit_burst": 1, "order_faults": {order_id: "404"}}
    response = requests.post(f"{control}/faults", json=body, headers=api.headers, timeout=5)
    assert response.status_code == 200
    assert response.json()["data"]["order_faults"] == {order_id: "404"}
    assert api.get("/number_orders").status_code == 429
    assert api.get(f"/number_orders/{order_id}").status_code == 404
    cleared = requests.post(
        f"{control}/faults", json={"order_faults": {order_id: None}}, headers=api.headers, timeout=5
    )
    assert cleared.json()["data"]["order_faults"] == {}
    assert api.get(f"/number_orders/{order_id}").status_code == 200


@pytest.mark.parametrize(
    "body", [{"error_rate": 2}, {"latency": "slow"}, {"order_faults": {"x": "boom"}}, {"nope": 1}]
)
def test_bad_fault_settings_are_refused(sandbox, api, body):
    control = sandbox.url.removesuffix("/v2") + "/_sandbox"
    response = requests.post(f"{control}/faults", json=body, headers=api.headers, timeout=5)
    assert response.status_code == 400
    assert sandbox.faults.error_rate == 0 and sandbox.faults.order_faults == {}


def test_control_endpoints_need_the_key_and_summarise_requests(sandbox, api):
    control = sandbox.url.removesuffix("/v2") + "/_sandbox"
    assert requests.post(f"{control}/faults", json={"latency": 1}, timeout=5).status_code == 401
    assert sandbox.faults.latency == 0
    api.get("/number_orders")
    api.get(f"/number_orders/{next(iter(sandbox.orders))}")
    api.get("/number_orders/00000000-0000-4000-8000-000000000000")
    summary = requests.get(f"{control}/requests", headers=api.headers, timeout=5).json()["data"]
    assert summary["total"] == 3
    assert summary["by_route"] == {"GET /v2/number_orders": 1, "GET /v2/number_orders/{id}": 2}
    assert summary["by_status"] == {"200": 2, "404": 1}
    assert summary["recent"][-1]["status"] == 404


def test_command_serves_in_the_foreground_and_says_where_and_with_which_key(tmp_path):
    env = {**os.environ, "SANDBOX_API_KEY": "from-env"}
    command = [
        sys.executable,
        "manage.py",
        "sandbox",
        "--port",
        "0",
        "--orders",
        "5",
        "--seed",
        "2",
    ]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = next(word for word in line.split() if word.startswith("http://"))
        assert "'from-env'" in line
        response = requests.get(
            f"{url}/number_orders", headers={"Authorization": "Bearer from-env"}, timeout=5
        )
        assert response.json()["meta"]["total_results"] == 5
        assert response.json()["data"][0]["id"] == next(iter(generate(orders=5, seed=2).orders))
    finally:
        process.terminate()
        process.wait(timeout=10)
