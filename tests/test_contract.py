"""Contract tests: every kind of answer the sandbox gives, and every request the dashboard's
Telnyx client sends, validate against Telnyx's published OpenAPI spec."""

import base64
import copy
from pathlib import Path

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from orders.telnyx import TelnyxClient, TelnyxError
from sandbox.server import Sandbox
from tests.helpers import NEW_ADDRESS, PDF, sandbox_pending_requirement

SPEC = Path(__file__).resolve().parents[2] / "shared/telnyx/number-orders.openapi.yml"
KEY = "contract-key"


@pytest.fixture(scope="module")
def box():
    with Sandbox(orders=30, seed=7, api_key=KEY) as box:
        yield box


@pytest.fixture(scope="module")
def openapi(box):
    if not SPEC.exists():
        pytest.skip(f"Telnyx's OpenAPI spec is absent ({SPEC}); the contract cannot be checked")
    spec = yaml.safe_load(SPEC.read_text())
    # The spec types Error.code as an integer, but the live API sends strings ("10015"), as the
    # README next to the spec notes; the sandbox follows the live API, so accept both.
    spec["components"]["schemas"]["Error"]["properties"]["code"] = {
        "anyOf": [{"type": "string"}, {"type": "integer", "format": "int32"}]
    }
    spec["servers"] = [{"url": box.url}]
    return OpenAPI.from_dict(spec)


@pytest.fixture
def api(box):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {KEY}"
    yield session
    session.close()


@pytest.fixture(autouse=True)
def calm(box):
    box.faults.__init__()


def _checked(openapi, response: requests.Response, status: int, *, valid_request=True) -> dict:
    """The response's body, once it and (unless sent wrong on purpose) its request validate."""
    assert response.status_code == status, response.text
    request = RequestsOpenAPIRequest(response.request)
    if valid_request:
        openapi.validate_request(request)
    openapi.validate_response(request, RequestsOpenAPIResponse(response))
    return response.json()


def _validate_sent(spec, box, sent: list) -> None:
    """Every request the sandbox recorded, rebuilt as sent, validates against `spec`."""
    origin = box.url.removesuffix("/v2")
    for recorded in sent:
        request = requests.Request(
            recorded.method,
            origin + recorded.path,
            params=recorded.query,
            json=copy.deepcopy(recorded.body),
            headers={k: v for k, v in recorded.headers.items() if k != "content-length"},
        )
        spec.validate_request(RequestsOpenAPIRequest(request))


# -- what the sandbox answers --------------------------------------------------------------------


def test_order_list_matches_the_spec(openapi, box, api):
    query = {"filter[status]": "pending", "filter[requirements_met]": "false", "page[size]": 5}
    body = _checked(openapi, api.get(f"{box.url}/number_orders", params=query), 200)
    assert body["data"]
    _checked(openapi, api.get(f"{box.url}/number_orders", params={"page[number]": 2}), 200)


def test_order_matches_the_spec(openapi, box, api):
    for order_id in list(box.orders)[:5]:
        _checked(openapi, api.get(f"{box.url}/number_orders/{order_id}"), 200)


def test_order_update_and_its_refusal_match_the_spec(openapi, box, api):
    order, item = sandbox_pending_requirement(box, "address")
    good = {
        "customer_reference": "ACME-2026-0001",
        "regulatory_requirements": [
            {"requirement_id": item["requirement_id"], "field_value": next(iter(box.addresses))}
        ],
    }
    _checked(openapi, api.patch(f"{box.url}/number_orders/{order['id']}", json=good), 200)
    bad = {
        "regulatory_requirements": [{"requirement_id": item["requirement_id"], "field_value": "x"}]
    }
    body = _checked(openapi, api.patch(f"{box.url}/number_orders/{order['id']}", json=bad), 422)
    assert body["errors"][0]["source"]["pointer"] == "/regulatory_requirements/0/field_value"


def test_sub_orders_match_the_spec(openapi, box, api):
    order = next(iter(box.orders.values()))
    query = {"filter[order_request_id]": order["id"], "filter[country_code]": "US"}
    _checked(openapi, api.get(f"{box.url}/sub_number_orders", params=query), 200)
    _checked(openapi, api.get(f"{box.url}/sub_number_orders"), 200)
    sub_id = order["sub_number_orders_ids"][0]
    _checked(openapi, api.get(f"{box.url}/sub_number_orders/{sub_id}"), 200)
    with_numbers = {"filter[include_phone_numbers]": "true"}
    body = _checked(
        openapi, api.get(f"{box.url}/sub_number_orders/{sub_id}", params=with_numbers), 200
    )
    assert body["data"]["phone_numbers"]


def test_cancel_and_its_refusal_match_the_spec(openapi, box, api):
    pending = next(s for s in box.sub_orders.values() if s["status"] == "pending")
    _checked(openapi, api.patch(f"{box.url}/sub_number_orders/{pending['id']}/cancel"), 200)
    _checked(openapi, api.patch(f"{box.url}/sub_number_orders/{pending['id']}/cancel"), 422)


def test_phone_numbers_match_the_spec(openapi, box, api):
    query = {"filter[country_code]": "CH"}
    body = _checked(openapi, api.get(f"{box.url}/number_order_phone_numbers", params=query), 200)
    number_id = body["data"][0]["id"]
    _checked(openapi, api.get(f"{box.url}/number_order_phone_numbers/{number_id}"), 200)


def test_requirements_match_the_spec(openapi, box, api):
    numbers = [n["phone_number"] for o in list(box.orders.values())[:4] for n in o["phone_numbers"]]
    query = {"filter[phone_number]": ",".join(numbers[:10])}
    body = _checked(
        openapi, api.get(f"{box.url}/phone_numbers_regulatory_requirements", params=query), 200
    )
    assert len(body["data"]) == 10


@pytest.mark.parametrize(
    "path, status, valid_request",
    [
        ("/number_orders/00000000-0000-4000-8000-000000000000", 404, True),
        ("/number_orders?page[size]=999", 400, False),
        ("/phone_numbers_regulatory_requirements?filter[phone_number]=%2B999", 400, True),
    ],
)
def test_error_bodies_match_the_spec(openapi, box, api, path, status, valid_request):
    _checked(openapi, api.get(f"{box.url}{path}"), status, valid_request=valid_request)


def test_auth_rate_limit_and_server_errors_match_the_spec(openapi, box, api):
    unauthenticated = requests.get(f"{box.url}/number_orders", timeout=5)
    _checked(openapi, unauthenticated, 401, valid_request=False)
    box.faults.rate_limit_burst = 1
    _checked(openapi, api.get(f"{box.url}/number_orders"), 429)
    box.faults.error_rate = 1.0
    _checked(openapi, api.get(f"{box.url}/number_orders"), 500)


# -- what the dashboard's client sends -----------------------------------------------------------


def test_every_client_request_matches_the_spec(openapi, box):
    client = TelnyxClient(api_key=KEY, base_url=box.url, timeout=5, max_retries=0)
    first = len(box.requests)
    order, item = sandbox_pending_requirement(box, "document")
    pending_sub = next(
        s
        for s in box.sub_orders.values()
        if s["status"] == "pending" and s["order_request_id"] != order["id"]
    )
    try:
        list(
            client.list_number_orders(
                status="pending",
                created_after="2026-10-01T00:00:00Z",
                created_before="2026-11-16T00:00:00Z",
                customer_reference="ACME-2026-0001",
                requirements_met=False,
                phone_numbers_count=3,
                page_size=10,
            )
        )
        list(client.list_number_orders(page_size=7))
        client.get_number_order(order["id"])
        client.update_number_order(
            order["id"],
            customer_reference="northwind/emea/17",
            regulatory_requirements=[
                {"requirement_id": item["requirement_id"], "field_value": next(iter(box.documents))}
            ],
        )
        client.list_sub_number_orders(
            order_id=order["id"], status="pending", country_code="CH", phone_number_type="local"
        )
        client.get_sub_number_order(pending_sub["id"])
        client.get_sub_number_order(pending_sub["id"], include_phone_numbers=True)
        client.cancel_sub_number_order(pending_sub["id"])
        numbers = list(client.list_number_order_phone_numbers(country_code="DE", page_size=5))
        list(client.list_number_order_phone_numbers(page_size=250))
        client.list_phone_number_requirements([n["phone_number"] for n in numbers])
        with pytest.raises(TelnyxError):
            client.get_number_order("00000000-0000-4000-8000-000000000000")
    finally:
        client.close()
    sent = box.requests[first:]
    routes = {(r.method, r.path.split("/")[2]) for r in sent}
    assert routes == {
        ("GET", "number_orders"),
        ("PATCH", "number_orders"),
        ("GET", "sub_number_orders"),
        ("PATCH", "sub_number_orders"),
        ("GET", "number_order_phone_numbers"),
        ("GET", "phone_numbers_regulatory_requirements"),
    }
    _validate_sent(openapi, box, sent)


# -- the regulatory endpoints (regulatory.openapi.yml) ---------------------------------------------

REGULATORY_SPEC = SPEC.with_name("regulatory.openapi.yml")
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def regulatory(box):
    """Telnyx's spec for addresses, documents, requirement groups and comments. openapi-core
    reads a deepObject parameter one level deep, so a request with a nested filter
    (filter[street_address][contains]) is not checked, only its answer; nor is a multipart
    upload, whose `format: binary` part it takes for bytes where the schema wants a string."""
    if not REGULATORY_SPEC.exists():
        pytest.skip(f"Telnyx's regulatory spec is absent ({REGULATORY_SPEC}); nothing to check")
    spec = yaml.safe_load(REGULATORY_SPEC.read_text())
    # The spec types read_at as a string, but an unread comment's is null (README next to the
    # spec: "read_at null means unread"), which the sandbox follows.
    spec["components"]["schemas"]["Comment"]["properties"]["read_at"]["type"] = ["string", "null"]
    spec["servers"] = [{"url": box.url}]
    return OpenAPI.from_dict(spec)


def _pending_sub_order_and_group(box) -> tuple[dict, dict]:
    return next(
        (sub_order, group)
        for sub_order in box.sub_orders.values()
        if sub_order["status"] == "pending"
        for group in box.requirement_groups.values()
        if group["status"] == "approved"
        and (group["country_code"], group["phone_number_type"])
        == (sub_order["country_code"], sub_order["phone_number_type"])
    )


# -- addresses -----------------------------------------------------------------------------------


def test_addresses_match_the_spec(regulatory, box, api):
    body = _checked(regulatory, api.get(f"{box.url}/addresses", params={"page[size]": 5}), 200)
    assert len(body["data"]) == 5
    query = {"filter[customer_reference]": "acme", "sort": "street_address"}
    _checked(regulatory, api.get(f"{box.url}/addresses", params=query), 200)
    nested = {"filter[street_address][contains]": "str", "filter[customer_reference][eq]": "x"}
    _checked(regulatory, api.get(f"{box.url}/addresses", params=nested), 200, valid_request=False)
    address_id = body["data"][0]["id"]
    _checked(regulatory, api.get(f"{box.url}/addresses/{address_id}"), 200)
    created = _checked(regulatory, api.post(f"{box.url}/addresses", json=NEW_ADDRESS), 200)
    assert created["data"]["id"].isdigit()


def test_address_refusals_match_the_spec(regulatory, box, api):
    missing = api.post(f"{box.url}/addresses", json={"first_name": "Anna"})
    assert _checked(regulatory, missing, 422, valid_request=False)["errors"]
    invalid = api.post(f"{box.url}/addresses", json=NEW_ADDRESS | {"country_code": "XX"})
    _checked(regulatory, invalid, 422)
    _checked(regulatory, api.get(f"{box.url}/addresses/1293384261075731499"), 404)


# -- documents -----------------------------------------------------------------------------------


def test_documents_match_the_spec(regulatory, box, api):
    query = {"page[size]": 5, "sort": "-filename"}
    body = _checked(regulatory, api.get(f"{box.url}/documents", params=query), 200)
    nested = {
        "filter[filename][contains]": "bill",
        "filter[created_at][gt]": "2026-01-01T00:00:00Z",
    }
    _checked(regulatory, api.get(f"{box.url}/documents", params=nested), 200, valid_request=False)
    document_id = body["data"][0]["id"]
    _checked(regulatory, api.get(f"{box.url}/documents/{document_id}"), 200)
    _checked(regulatory, api.get(f"{box.url}/documents/{UNKNOWN}"), 404)


def test_uploads_and_their_refusals_match_the_spec(regulatory, box, api):
    as_json = {"file": base64.b64encode(PDF).decode(), "filename": "bill.pdf"}
    uploaded = _checked(regulatory, api.post(f"{box.url}/documents", json=as_json), 200)
    assert uploaded["data"]["status"] == "pending"
    multipart = api.post(
        f"{box.url}/documents",
        files={"file": ("bill.pdf", PDF, "application/pdf")},
        data={"customer_reference": "ACME"},
    )
    _checked(regulatory, multipart, 200, valid_request=False)
    by_url = {"url": "https://example.com/bill.pdf"}
    _checked(regulatory, api.post(f"{box.url}/documents", json=by_url), 422)
    wrong_type = as_json | {"filename": "bill.exe"}
    _checked(regulatory, api.post(f"{box.url}/documents", json=wrong_type), 422)


def test_a_download_is_the_file_with_its_content_type(regulatory, box, api):
    # The spec's '*' media type with a binary schema: openapi-core cannot check bytes against
    # it, so the request is checked and the answer compared with what was uploaded.
    document = next(iter(box.documents.values()))
    response = api.get(f"{box.url}/documents/{document['id']}/download")
    regulatory.validate_request(RequestsOpenAPIRequest(response.request))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == document["content_type"]
    assert len(response.content) == document["size"]["amount"]


def test_the_client_s_address_and_document_requests_match_the_spec(regulatory, box):
    """What the dashboard's client sends to /addresses and /documents. Requests openapi-core
    cannot read (see `regulatory`: the nested filters, the multipart upload) are checked by
    what they hold instead."""
    client = TelnyxClient(api_key=KEY, base_url=box.url, timeout=5, max_retries=0)
    first = len(box.requests)
    try:
        address = client.create_address(NEW_ADDRESS)
        list(client.list_addresses(customer_reference="ACME", page_size=5))
        list(client.list_addresses(street_address_contains="Bahnhof", page_size=5))
        client.get_address(address["id"])
        document = client.upload_document(
            filename="bill.pdf", content=PDF, content_type="application/pdf"
        )
        list(client.list_documents(filename_contains="bill", page_size=5))
        list(client.list_documents(customer_reference="ACME", page_size=5))
        client.get_document(document["id"])
        download = client.download_document(document["id"])
        assert b"".join(download.chunks) == PDF
    finally:
        client.close()
    sent = box.requests[first:]
    assert {(r.method, r.path.split("/")[2]) for r in sent} == {
        ("GET", "addresses"),
        ("POST", "addresses"),
        ("GET", "documents"),
        ("POST", "documents"),
    }
    plain = []
    for recorded in sent:
        nested = any(name.count("[") > 1 for name in recorded.query)
        if recorded.method == "POST" and recorded.path.endswith("/documents"):
            # The spec's multipart body: a `file` part, which the sandbox read as the spec says.
            assert recorded.headers["content-type"].startswith("multipart/form-data; boundary=")
            assert (document["filename"], document["size"]["amount"]) == ("bill.pdf", len(PDF))
            continue
        if nested:
            assert set(recorded.query) - {"page[number]", "page[size]"} <= {
                "filter[street_address][contains]",
                "filter[filename][contains]",
                "filter[customer_reference][eq]",
            }
            continue
        plain.append(recorded)
    _validate_sent(regulatory, box, plain)


# -- requirement groups ----------------------------------------------------------------------------


def test_requirement_groups_match_the_spec(regulatory, box, api):
    body = _checked(regulatory, api.get(f"{box.url}/requirement_groups"), 200)
    assert isinstance(body, list) and body
    query = {"filter[country_code]": "CH", "filter[status]": "approved"}
    _checked(regulatory, api.get(f"{box.url}/requirement_groups", params=query), 200)
    _checked(regulatory, api.get(f"{box.url}/requirement_groups/{body[0]['id']}"), 200)
    _checked(regulatory, api.get(f"{box.url}/requirement_groups/{UNKNOWN}"), 404)
    bad = {"filter[status]": "great"}
    _checked(
        regulatory, api.get(f"{box.url}/requirement_groups", params=bad), 400, valid_request=False
    )


def test_group_attach_and_its_refusal_match_the_spec(regulatory, box, api):
    sub_order, group = _pending_sub_order_and_group(box)
    body = {"requirement_group_id": group["id"]}
    path = f"{box.url}/sub_number_orders/{sub_order['id']}/requirement_group"
    answered = _checked(regulatory, api.post(path, json=body), 200)
    assert answered["data"]["phone_numbers"]
    number = box.numbers_of(sub_order)[0]
    by_number = f"{box.url}/number_order_phone_numbers/{number['id']}/requirement_group"
    _checked(regulatory, api.post(by_number, json=body), 200)
    _checked(regulatory, api.post(path, json={"requirement_group_id": UNKNOWN}), 422)


def test_the_clients_requirement_group_requests_match_the_spec(regulatory, openapi, box):
    sub_order, group = _pending_sub_order_and_group(box)
    number = box.numbers_of(sub_order)[0]
    client = TelnyxClient(api_key=KEY, base_url=box.url, timeout=5, max_retries=0)
    first = len(box.requests)
    try:
        assert client.list_requirement_groups()
        client.list_requirement_groups(
            country_code="CH",
            phone_number_type="local",
            status="approved",
            customer_reference="ACME",
        )
        client.attach_requirement_group_to_sub_order(
            sub_order["id"], requirement_group_id=group["id"]
        )
        client.attach_requirement_group_to_number(number["id"], requirement_group_id=group["id"])
    finally:
        client.close()
    sent = box.requests[first:]
    assert [r.method for r in sent] == ["GET", "GET", "POST", "POST"]
    _validate_sent(regulatory, box, sent)
    # The attach paths are in the number-orders extract too.
    _validate_sent(openapi, box, sent[2:])


# -- comments --------------------------------------------------------------------------------------


def test_comments_match_the_spec(regulatory, box, api):
    comment = next(iter(box.comments.values()))
    query = {
        "filter[comment_record_type]": comment["comment_record_type"],
        "filter[comment_record_id]": comment["comment_record_id"],
    }
    body = _checked(regulatory, api.get(f"{box.url}/comments", params=query), 200)
    assert any(c["read_at"] is None for c in box.comments.values())
    assert body["data"]
    _checked(regulatory, api.get(f"{box.url}/comments/{comment['id']}"), 200)
    _checked(regulatory, api.patch(f"{box.url}/comments/{comment['id']}/read"), 200)
    new = {
        "body": "Which bill do you need?",
        "comment_record_type": "sub_number_order",
        "comment_record_id": next(iter(box.sub_orders)),
    }
    _checked(regulatory, api.post(f"{box.url}/comments", json=new), 200)
    _checked(regulatory, api.post(f"{box.url}/comments", json=new | {"body": ""}), 422)
    _checked(regulatory, api.get(f"{box.url}/comments"), 400)


def test_the_clients_comment_requests_match_the_spec(regulatory, openapi, box):
    sub_order_id = next(iter(box.sub_orders))
    client = TelnyxClient(api_key=KEY, base_url=box.url, timeout=5, max_retries=0)
    first = len(box.requests)
    try:
        posted = client.create_comment(record_id=sub_order_id, body="Please extend the deadline.")
        assert client.list_comments(record_id=sub_order_id)
        client.mark_comment_read(posted["id"])
    finally:
        client.close()
    sent = box.requests[first:]
    assert [r.method for r in sent] == ["POST", "GET", "PATCH"]
    for spec in (regulatory, openapi):
        _validate_sent(spec, box, sent)


def test_auth_failures_on_the_new_endpoints_match_the_spec(regulatory, box):
    unauthenticated = requests.get(f"{box.url}/requirement_groups", timeout=5)
    _checked(regulatory, unauthenticated, 401, valid_request=False)
