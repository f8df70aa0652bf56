"""The sandbox's review of requirement values: values must refer to real addresses and documents,
the reviewers approve or decline them on the clock (a decline explained in a comment, with a new
deadline), requirement groups fill in a pending sub order's open values, and comment threads are
read, written and marked read. All over real HTTP, faults and auth included."""

from datetime import timedelta

import pytest
import requests

from sandbox.clock import parse_iso
from sandbox.places import PLACES
from tests.helpers import EICAR, PDF, Api, errors, pointers, upload

THREAD = "/comments"
UNKNOWN = "6d3c2f8e-7a51-4c0b-9d1e-2f4a5b6c7d8e"


@pytest.fixture
def api(sandbox):
    with Api(sandbox) as session:
        yield session


def pending_value(box, field_type: str, label: str | None = None) -> tuple[dict, dict, dict]:
    """(order, sub order, requirement item) of a pending sub order with a value of that type
    (and label) still to be approved, on a number that is not cancelled."""
    for order in box.orders.values():
        for number in order["phone_numbers"]:
            if number["status"] != "pending":
                continue
            for item in number["regulatory_requirements"]:
                definition = box.definitions[item["requirement_id"]]
                if (
                    item["field_type"] == field_type
                    and item["status"] != "approved"
                    and (label is None or definition["label"] == label)
                ):
                    return order, box.sub_orders[number["sub_number_order_id"]], item
    raise AssertionError(f"no pending {field_type} value")


def items_of(box, sub_order: dict, requirement_id: str) -> list[dict]:
    return [
        item
        for number in box.numbers_of(sub_order)
        for item in number["regulatory_requirements"]
        if item["requirement_id"] == requirement_id
    ]


def write(api, order: dict, item: dict, value: str) -> requests.Response:
    body = {
        "regulatory_requirements": [
            {"requirement_id": item["requirement_id"], "field_value": value}
        ]
    }
    return api.patch(f"/number_orders/{order['id']}", json=body)


def thread(api, record_id: str, record_type: str = "sub_number_order") -> list[dict]:
    query = {"filter[comment_record_type]": record_type, "filter[comment_record_id]": record_id}
    response = api.get(THREAD, params=query)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def new_address(api, sub_order: dict, locality: str) -> str:
    """The id of an address created for the sub order's end user, in that locality."""
    found = PLACES[sub_order["country_code"]].locality(locality)
    body = {
        "first_name": "Ines",
        "last_name": "Costa",
        "business_name": "Costa Consulting",
        "street_address": found.streets[0] if found.streets else "Main Street 1",
        "locality": found.name,
        "postal_code": found.postal_codes[0],
        "country_code": sub_order["country_code"],
    }
    response = api.post("/addresses", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]["id"]


# -- values refer to records ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "field_type, value, words",
    [
        ("address", "1293384261075731499", "No address with id"),
        ("address", UNKNOWN, "not a UUID"),
        ("document", UNKNOWN, "No document with id"),
        ("document", "1293384261075731499", "UUID"),
    ],
)
def test_a_value_that_refers_to_no_record_is_422_pointing_at_it(
    api, sandbox, field_type, value, words
):
    order, _, item = pending_value(sandbox, field_type)
    response = write(api, order, item, value)
    assert response.status_code == 422
    [error] = errors(response)
    assert error["source"] == {"pointer": "/regulatory_requirements/0/field_value"}
    assert words in error["detail"]


def test_an_existing_address_id_is_taken_pending_approval(api, sandbox):
    order, sub_order, item = pending_value(sandbox, "address")
    address_id = next(iter(sandbox.addresses))
    assert write(api, order, item, address_id).status_code == 200
    assert {
        (i["field_value"], i["status"])
        for i in items_of(sandbox, sub_order, item["requirement_id"])
    } == {(address_id, "pending-approval")}


def test_a_document_a_value_refers_to_is_never_deleted(api, sandbox):
    order, _, item = pending_value(sandbox, "document")
    document_id = upload(api, "passport.pdf", PDF).json()["data"]["id"]
    assert write(api, order, item, document_id).status_code == 200
    sandbox.advance_clock(timedelta(hours=2))
    assert api.get(f"/documents/{document_id}").json()["data"]["status"] == "verified"


def test_a_value_cannot_refer_to_an_upload_deleted_after_30_minutes(api, sandbox):
    order, _, item = pending_value(sandbox, "document")
    document_id = upload(api, "passport.pdf", PDF).json()["data"]["id"]
    sandbox.advance_clock(timedelta(minutes=31))
    assert pointers(write(api, order, item, document_id)) == [
        "/regulatory_requirements/0/field_value"
    ]


# -- the reviewers ---------------------------------------------------------------------------------


def test_an_address_in_the_numbers_locality_is_approved_after_review(api, sandbox):
    label = "Address within the number's locality"
    order, sub_order, item = pending_value(sandbox, "address", label)
    number = sandbox.numbers_of(sub_order)[0]
    write(api, order, item, new_address(api, sub_order, number["locality"]))
    sandbox.advance_clock(timedelta(minutes=4))
    assert {i["status"] for i in items_of(sandbox, sub_order, item["requirement_id"])} == {
        "pending-approval"
    }
    sandbox.advance_clock(timedelta(minutes=2))
    statuses = {i["status"] for i in items_of(sandbox, sub_order, item["requirement_id"])}
    assert statuses == {"approved"}


def test_a_declined_value_gets_a_reviewers_comment_naming_it_and_a_new_deadline(api, sandbox):
    label = "Address within the number's locality"
    order, sub_order, item = pending_value(sandbox, "address", label)
    number = sandbox.numbers_of(sub_order)[0]
    place = PLACES[sub_order["country_code"]]
    away = next(found.name for found in place.localities if found.name != number["locality"])
    elsewhere = new_address(api, sub_order, away)
    before = len(thread(api, sub_order["id"]))
    write(api, order, item, elsewhere)
    moved_to = parse_iso(sandbox.advance_clock(timedelta(minutes=6)))
    again = api.get(f"/number_orders/{order['id']}").json()["data"]
    numbers = [n for n in again["phone_numbers"] if n["sub_number_order_id"] == sub_order["id"]]
    items = [
        i
        for n in numbers
        for i in n["regulatory_requirements"]
        if i["requirement_id"] == item["requirement_id"]
    ]
    assert {i["status"] for i in items} == {"declined"}
    assert {n["requirements_status"] for n in numbers} == {"requirement-info-exception"}
    for n in numbers:
        new_deadline = parse_iso(n["deadline"]) - moved_to
        assert new_deadline == pytest.approx(timedelta(days=2), abs=timedelta(minutes=2))
    decline, deadline = thread(api, sub_order["id"])[before:]
    assert decline["commenter_type"] == deadline["commenter_type"] == "admin"
    assert label in decline["body"] and number["locality"] in decline["body"]
    assert decline["read_at"] is None
    assert parse_iso(numbers[0]["deadline"]).strftime("%Y-%m-%d %H:%M") in deadline["body"]


def test_a_document_value_waits_for_the_documents_review(api, sandbox):
    order, sub_order, item = pending_value(sandbox, "document")
    document_id = upload(api, "passport.txt", EICAR).json()["data"]["id"]
    write(api, order, item, document_id)
    sandbox.advance_clock(timedelta(minutes=6))  # the scan found the signature: denied
    statuses = {i["status"] for i in items_of(sandbox, sub_order, item["requirement_id"])}
    assert statuses == {"declined"}
    assert "antivirus" in thread(api, sub_order["id"])[-2]["body"]


def test_the_generated_world_explains_every_decline_in_a_comment(sandbox):
    declined = {
        (n["sub_number_order_id"], sandbox.definitions[i["requirement_id"]]["label"])
        for o in sandbox.orders.values()
        for n in o["phone_numbers"]
        for i in n["regulatory_requirements"]
        if i["status"] == "declined"
    }
    assert declined
    bodies = {}
    for comment in sandbox.comments.values():
        bodies.setdefault(comment["comment_record_id"], []).append(comment["body"])
    for sub_order_id, label in declined:
        assert any(label in body for body in bodies.get(sub_order_id, [])), (sub_order_id, label)
    unread = [c for c in sandbox.comments.values() if c["read_at"] is None]
    assert unread and all(c["commenter_type"] == "admin" for c in sandbox.comments.values())


# -- requirement groups ----------------------------------------------------------------------------


def test_groups_are_a_bare_list_with_filters(api, sandbox):
    listed = api.get("/requirement_groups").json()
    assert isinstance(listed, list) and len(listed) == len(sandbox.requirement_groups)
    countries = {g["country_code"] for g in listed}
    assert {"CH", "DK", "IT", "NO", "PT", "SE"} <= countries
    assert {g["status"] for g in listed} == {"approved", "pending-approval", "declined"}
    query = {"filter[country_code]": "CH", "filter[phone_number_type]": "local"}
    swiss = api.get("/requirement_groups", params=query).json()
    assert swiss and {(g["country_code"], g["phone_number_type"]) for g in swiss} == {
        ("CH", "local")
    }
    approved = api.get("/requirement_groups", params={"filter[status]": "approved"}).json()
    assert approved and {g["status"] for g in approved} == {"approved"}
    reference = swiss[0]["customer_reference"]
    by_reference = api.get(
        "/requirement_groups", params={"filter[customer_reference]": reference}
    ).json()
    assert [g["id"] for g in by_reference] == [swiss[0]["id"]]
    assert api.get("/requirement_groups", params={"filter[status]": "great"}).status_code == 400


def test_a_group_is_answered_bare_and_its_values_refer_to_records(api, sandbox):
    group = next(iter(sandbox.requirement_groups.values()))
    assert api.get(f"/requirement_groups/{group['id']}").json() == group
    for value in group["regulatory_requirements"]:
        if value["field_type"] == "address":
            assert value["field_value"] in sandbox.addresses
        if value["field_type"] == "document":
            assert value["field_value"] in sandbox.documents
    assert api.get(f"/requirement_groups/{UNKNOWN}").status_code == 404


def pending_sub_order_with_group(box, status: str = "approved") -> tuple[dict, dict]:
    """The pending sub order with the most numbers among those a group of that status fits."""
    fitting = []
    for sub_order in box.sub_orders.values():
        group = next(
            (
                g
                for g in box.requirement_groups.values()
                if (g["country_code"], g["phone_number_type"], g["status"])
                == (sub_order["country_code"], sub_order["phone_number_type"], status)
            ),
            None,
        )
        if sub_order["status"] == "pending" and group:
            fitting.append((sub_order["phone_numbers_count"], sub_order, group))
    assert fitting, f"no pending sub order that a {status} group fits"
    _, sub_order, group = max(fitting, key=lambda found: found[0])
    return sub_order, group


def test_attaching_a_group_fills_in_only_the_values_not_yet_approved(api, sandbox):
    sub_order, group = pending_sub_order_with_group(sandbox)
    order = sandbox.orders[sub_order["order_request_id"]]
    registration = next(
        item
        for item in sandbox.numbers_of(sub_order)[0]["regulatory_requirements"]
        if sandbox.definitions[item["requirement_id"]]["label"] == "Business registration number"
    )
    ours = sandbox.definitions[registration["requirement_id"]]["example"]
    assert write(api, order, registration, ours).status_code == 200
    sandbox.advance_clock(timedelta(minutes=6))  # reviewed: approved
    before = {
        (number["id"], item["requirement_id"]): (item["field_value"], item["status"])
        for number in sandbox.numbers_of(sub_order)
        for item in number["regulatory_requirements"]
    }
    assert before[sandbox.numbers_of(sub_order)[0]["id"], registration["requirement_id"]] == (
        ours,
        "approved",
    )
    path = f"/sub_number_orders/{sub_order['id']}/requirement_group"
    response = api.post(path, json={"requirement_group_id": group["id"]})
    assert response.status_code == 200, response.text
    answered = response.json()["data"]
    assert answered["id"] == sub_order["id"] and answered["phone_numbers"]
    values = {v["requirement_id"]: v["field_value"] for v in group["regulatory_requirements"]}
    assert values[registration["requirement_id"]] != ours
    written = 0
    for number in answered["phone_numbers"]:
        for item in number["regulatory_requirements"]:
            was = before[number["id"], item["requirement_id"]]
            if was[1] == "approved":
                assert (item["field_value"], item["status"]) == was
            else:
                assert item["field_value"] == values[item["requirement_id"]]
                assert item["status"] == "pending-approval"
                written += 1
    assert written
    document = next(v for v in group["regulatory_requirements"] if v["field_type"] == "document")
    assert document["field_value"] in sandbox.linked_documents


def test_attaching_a_group_to_one_number_changes_only_that_number(api, sandbox):
    sub_order, group = pending_sub_order_with_group(sandbox)
    first, *others = sandbox.numbers_of(sub_order)
    assert others
    before = [[dict(i) for i in n["regulatory_requirements"]] for n in others]
    path = f"/number_order_phone_numbers/{first['id']}/requirement_group"
    response = api.post(path, json={"requirement_group_id": group["id"]})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["id"] == first["id"]
    values = {v["requirement_id"]: v["field_value"] for v in group["regulatory_requirements"]}
    assert {
        i["requirement_id"]: i["field_value"]
        for i in first["regulatory_requirements"]
        if i["status"] == "pending-approval"
    } == {
        k: v
        for k, v in values.items()
        if any(
            i["requirement_id"] == k and i["status"] == "pending-approval"
            for i in first["regulatory_requirements"]
        )
    }
    assert [n["regulatory_requirements"] for n in others] == before


def test_attach_refusals(api, sandbox):
    sub_order, group = pending_sub_order_with_group(sandbox)
    path = f"/sub_number_orders/{sub_order['id']}/requirement_group"
    other = next(
        g
        for g in sandbox.requirement_groups.values()
        if g["country_code"] != sub_order["country_code"]
    )
    declined_for, declined = pending_sub_order_with_group(sandbox, "declined")
    done = next(s for s in sandbox.sub_orders.values() if s["status"] != "pending")
    cases = [
        (path, {}, "/requirement_group_id", "required"),
        (path, {"requirement_group_id": UNKNOWN}, "/requirement_group_id", "No requirement"),
        (path, {"requirement_group_id": other["id"]}, "/requirement_group_id", "numbers"),
        (
            f"/sub_number_orders/{declined_for['id']}/requirement_group",
            {"requirement_group_id": declined["id"]},
            "/requirement_group_id",
            "declined",
        ),
        (
            f"/sub_number_orders/{done['id']}/requirement_group",
            {"requirement_group_id": group["id"]},
            "/status",
            "pending",
        ),
    ]
    for url, body, pointer, words in cases:
        response = api.post(url, json=body)
        assert response.status_code == 422, (url, body)
        [error] = errors(response)
        assert error["source"]["pointer"] == pointer and words in error["detail"], error
    unknown = api.post(f"/sub_number_orders/{UNKNOWN}/requirement_group", json={"x": 1})
    assert unknown.status_code == 404


# -- comments --------------------------------------------------------------------------------------


def test_a_thread_is_oldest_first_and_needs_both_filters(api, sandbox):
    record_id = next(
        c["comment_record_id"]
        for c in sandbox.comments.values()
        if c["comment_record_type"] == "sub_number_order"
    )
    comments = thread(api, record_id)
    assert len(comments) >= 2
    assert [c["created_at"] for c in comments] == sorted(c["created_at"] for c in comments)
    for missing in ("filter[comment_record_type]", "filter[comment_record_id]"):
        query = {
            "filter[comment_record_type]": "sub_number_order",
            "filter[comment_record_id]": record_id,
        }
        del query[missing]
        response = api.get(THREAD, params=query)
        assert response.status_code == 400
        assert errors(response)[0]["source"] == {"parameter": missing}
    assert thread(api, UNKNOWN) == []


def test_a_comment_is_written_by_the_user_unread_and_marked_read_once(api, sandbox):
    sub_order = next(iter(sandbox.sub_orders.values()))
    body = {
        "body": " Which bill do you need? ",
        "comment_record_type": "sub_number_order",
        "comment_record_id": sub_order["id"],
    }
    response = api.post(THREAD, json=body)
    assert response.status_code == 200, response.text
    comment = response.json()["data"]
    assert (comment["body"], comment["commenter_type"]) == ("Which bill do you need?", "user")
    assert comment["read_at"] is None
    assert thread(api, sub_order["id"])[-1] == comment
    first = api.patch(f"{THREAD}/{comment['id']}/read").json()["data"]
    assert first["read_at"] is not None
    again = api.patch(f"{THREAD}/{comment['id']}/read").json()["data"]
    assert again["read_at"] == first["read_at"]
    assert api.get(f"{THREAD}/{comment['id']}").json() == {"data": again}
    assert api.patch(f"{THREAD}/{UNKNOWN}/read").status_code == 404


@pytest.mark.parametrize(
    "body, pointers_expected",
    [
        ({}, ["/body", "/comment_record_type", "/comment_record_id"]),
        (
            {"body": " ", "comment_record_type": "order", "comment_record_id": UNKNOWN},
            ["/body", "/comment_record_type"],
        ),
        (
            {"body": "Hi", "comment_record_type": "sub_number_order", "comment_record_id": UNKNOWN},
            ["/comment_record_id"],
        ),
    ],
)
def test_a_comment_refused_points_at_each_field(api, sandbox, body, pointers_expected):
    count = len(sandbox.comments)
    response = api.post(THREAD, json=body)
    assert response.status_code == 422
    assert pointers(response) == pointers_expected
    assert len(sandbox.comments) == count


def test_asking_for_more_time_gets_an_extension_from_the_reviewers(api, sandbox):
    sub_order = next(s for s in sandbox.sub_orders.values() if s["status"] == "pending")
    deadline = max(parse_iso(n["deadline"]) for n in sandbox.numbers_of(sub_order))
    body = {
        "body": "Could we get an extension? The lease is still being signed.",
        "comment_record_type": "sub_number_order",
        "comment_record_id": sub_order["id"],
    }
    asked = parse_iso(api.post(THREAD, json=body).json()["data"]["created_at"])
    sandbox.advance_clock(timedelta(minutes=2))
    assert thread(api, sub_order["id"])[-1]["commenter_type"] == "user"
    sandbox.advance_clock(timedelta(minutes=2))
    reply = thread(api, sub_order["id"])[-1]
    assert reply["commenter_type"] == "admin" and "extended" in reply["body"]
    for number in sandbox.numbers_of(sub_order):
        if number["status"] == "pending":
            assert parse_iso(number["deadline"]) >= max(deadline, asked) + timedelta(days=2)


# -- faults and auth reach the new endpoints -------------------------------------------------------


def test_order_faults_reach_its_sub_orders_threads_and_group_attach(api, sandbox):
    sub_order, group = pending_sub_order_with_group(sandbox)
    sandbox.faults.order_faults[sub_order["order_request_id"]] = "500"
    attach = api.post(
        f"/sub_number_orders/{sub_order['id']}/requirement_group",
        json={"requirement_group_id": group["id"]},
    )
    assert attach.status_code == 500 and errors(attach)[0]["code"] == "10007"
    query = {
        "filter[comment_record_type]": "sub_number_order",
        "filter[comment_record_id]": sub_order["id"],
    }
    assert api.get(THREAD, params=query).status_code == 500


@pytest.mark.parametrize("path", ["/addresses", "/documents", "/requirement_groups", "/comments"])
def test_new_endpoints_need_the_key_and_take_rate_limits(api, sandbox, path):
    assert requests.get(sandbox.url + path, timeout=5).status_code == 401
    sandbox.faults.rate_limit_burst = 1
    assert api.get(path).status_code == 429
