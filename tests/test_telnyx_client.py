"""The Telnyx client against canned HTTP answers (`responses`), with no real sleeping; its time
budget also against a loopback server that accepts connections and never answers."""

import json
import logging
import socket
import time
from datetime import UTC, datetime

import pytest
import requests
import responses
from responses import matchers
from urllib3.util import Timeout

from orders.telnyx import TelnyxClient, TelnyxError, get_client
from tests.helpers import telnyx_error

BASE = "https://telnyx.test/v2"
KEY = "KEYsecret0123456789"
ORDER_ID = "12ade33a-21c0-473b-b055-b3c836e1c292"
SUB_ID = "4a2b3c1d-0000-4000-8000-000000000001"
ORDER_URL = f"{BASE}/number_orders/{ORDER_ID}"
# What a loaded machine may add to a call that gives up at its budget.
SLACK = 0.3


@pytest.fixture
def http():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps):
    telnyx = TelnyxClient(api_key=KEY, base_url=BASE, timeout=4.5, max_retries=3, backoff=0.5)
    telnyx.sleep = sleeps.append
    yield telnyx
    telnyx.close()


@pytest.fixture
def refusing_url() -> str:
    """A loopback URL whose connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    return f"http://127.0.0.1:{port}/v2"


@pytest.fixture
def budgeted(sleeps):
    """A client allowed 8 s a request, on a clock that only its waits move."""
    now = [1000.0]

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    telnyx = TelnyxClient(
        api_key=KEY, base_url=BASE, timeout=4.5, max_retries=3, backoff=0.5, budget=8.0
    )
    telnyx.sleep = sleep
    telnyx.clock = lambda: now[0]
    yield telnyx
    telnyx.close()


def page_of(items, *, page, total_pages):
    return {
        "data": items,
        "meta": {"page_number": page, "page_size": 250, "total_pages": total_pages},
    }


def order_list_page(http, items, *, page, total_pages):
    http.get(
        f"{BASE}/number_orders",
        json=page_of(items, page=page, total_pages=total_pages),
        match=[matchers.query_param_matcher({"page[number]": str(page)}, strict_match=False)],
    )


# Requests


def test_requests_carry_bearer_key_and_ask_for_json(http, client):
    http.get(f"{BASE}/number_orders/{ORDER_ID}", json={"data": {"id": ORDER_ID}})

    client.get_number_order(ORDER_ID)

    headers = http.calls[0].request.headers
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert headers["Accept"] == "application/json"


def test_gets_go_out_exactly_as_requests_would_prepare_them(http, client):
    http.get(f"{BASE}/number_orders", json=page_of([], page=1, total_pages=1))
    http.get(
        f"{BASE}/phone_numbers_regulatory_requirements", json=page_of([], page=1, total_pages=1)
    )
    http.get(f"{BASE}/number_orders/{ORDER_ID}", json={"data": {"id": ORDER_ID}})
    since = datetime(2026, 11, 1, 10, 30, tzinfo=UTC)
    list(client.list_number_orders(created_after=since, customer_reference="ACME Q4/26 & co+"))
    client.list_phone_number_requirements(["+14155550100", "+442071838750"])
    client.get_number_order(ORDER_ID)

    sent_params = [
        {
            "filter[created_at][gt]": since.isoformat(),
            "filter[customer_reference]": "ACME Q4/26 & co+",
            "page[number]": 1,
            "page[size]": 250,
        },
        {
            "filter[phone_number]": "+14155550100,+442071838750",
            "page[number]": 1,
            "page[size]": 250,
        },
        None,
    ]
    for call, params in zip(http.calls, sent_params, strict=True):
        path = call.request.url.partition("?")[0]
        expected = requests.Request(
            "GET", path, headers=client.session.headers, params=params
        ).prepare()
        assert call.request.url == expected.url
        assert dict(call.request.headers) == dict(expected.headers)
        assert call.request.body is None


def test_every_call_passes_the_timeout(http, client):
    http.get(f"{BASE}/number_orders", json=page_of([{"id": ORDER_ID}], page=1, total_pages=1))
    http.get(f"{BASE}/number_orders/{ORDER_ID}", json={"data": {"id": ORDER_ID}})
    http.patch(f"{BASE}/number_orders/{ORDER_ID}", json={"data": {"id": ORDER_ID}})
    http.patch(f"{BASE}/sub_number_orders/{SUB_ID}/cancel", json={"data": {"id": SUB_ID}})

    list(client.list_number_orders())
    client.get_number_order(ORDER_ID)
    client.update_number_order(ORDER_ID, customer_reference="X")
    client.cancel_sub_number_order(SUB_ID)

    assert [call.request.req_kwargs["timeout"] for call in http.calls] == [4.5] * 4


def test_list_number_orders_walks_every_page(http, client):
    order_list_page(http, [{"id": "a"}, {"id": "b"}], page=1, total_pages=3)
    order_list_page(http, [{"id": "c"}], page=2, total_pages=3)
    order_list_page(http, [{"id": "d"}], page=3, total_pages=3)

    orders = list(client.list_number_orders())

    assert [order["id"] for order in orders] == ["a", "b", "c", "d"]
    assert [call.request.params["page[number]"] for call in http.calls] == ["1", "2", "3"]
    assert {call.request.params["page[size]"] for call in http.calls} == {"250"}


def test_list_number_orders_stops_at_an_empty_page(http, client):
    order_list_page(http, [{"id": "a"}], page=1, total_pages=5)
    order_list_page(http, [], page=2, total_pages=5)

    assert [order["id"] for order in client.list_number_orders()] == ["a"]
    assert len(http.calls) == 2


def test_list_number_orders_without_page_count_reads_one_page(http, client):
    http.get(f"{BASE}/number_orders", json={"data": [{"id": "a"}]})

    assert [order["id"] for order in client.list_number_orders()] == ["a"]
    assert len(http.calls) == 1


def test_list_number_orders_fetches_the_next_page_only_when_needed(http, client):
    order_list_page(http, [{"id": "a"}, {"id": "b"}], page=1, total_pages=2)
    order_list_page(http, [{"id": "c"}], page=2, total_pages=2)

    orders = client.list_number_orders()
    assert len(http.calls) == 0
    assert next(orders)["id"] == "a"
    assert next(orders)["id"] == "b"
    assert len(http.calls) == 1
    assert next(orders)["id"] == "c"
    assert len(http.calls) == 2


def test_list_number_orders_sends_the_spec_filters(http, client):
    http.get(f"{BASE}/number_orders", json=page_of([], page=1, total_pages=0))

    list(
        client.list_number_orders(
            status="pending",
            created_after=datetime(2025, 3, 1, 12, 30, tzinfo=UTC),
            created_before="2025-04-01T00:00:00Z",
            customer_reference="ACME 7",
            requirements_met=False,
            phone_numbers_count=3,
            page_size=50,
        )
    )

    assert http.calls[0].request.params == {
        "filter[status]": "pending",
        "filter[created_at][gt]": "2025-03-01T12:30:00+00:00",
        "filter[created_at][lt]": "2025-04-01T00:00:00Z",
        "filter[customer_reference]": "ACME 7",
        "filter[requirements_met]": "false",
        "filter[phone_numbers_count]": "3",
        "page[number]": "1",
        "page[size]": "50",
    }


def test_list_number_orders_sends_requirements_met_true_as_lowercase_word(http, client):
    http.get(f"{BASE}/number_orders", json=page_of([], page=1, total_pages=0))

    list(client.list_number_orders(requirements_met=True))

    assert http.calls[0].request.params["filter[requirements_met]"] == "true"
    assert "filter[status]" not in http.calls[0].request.params


def test_get_number_order_returns_the_data_object(http, client):
    order = {"id": ORDER_ID, "status": "pending", "phone_numbers": []}
    http.get(f"{BASE}/number_orders/{ORDER_ID}", json={"data": order})

    assert client.get_number_order(ORDER_ID) == order


def test_update_number_order_sends_only_the_keys_given(http, client):
    http.patch(f"{BASE}/number_orders/{ORDER_ID}", json={"data": {"id": ORDER_ID}})
    http.patch(f"{BASE}/number_orders/{ORDER_ID}", json={"data": {"id": ORDER_ID}})
    requirements = [{"requirement_id": "2708e569-696a-4fc7-9305-5fdb3eb9c7dd", "field_value": "x"}]

    client.update_number_order(ORDER_ID, customer_reference="REF-9")
    client.update_number_order(ORDER_ID, regulatory_requirements=requirements)

    bodies = [json.loads(call.request.body) for call in http.calls]
    assert bodies == [{"customer_reference": "REF-9"}, {"regulatory_requirements": requirements}]
    assert http.calls[0].request.headers["Content-Type"] == "application/json"


def test_cancel_sub_number_order_patches_without_a_body(http, client):
    http.patch(
        f"{BASE}/sub_number_orders/{SUB_ID}/cancel", json={"data": {"id": SUB_ID, "status": "x"}}
    )

    assert client.cancel_sub_number_order(SUB_ID) == {"id": SUB_ID, "status": "x"}
    assert http.calls[0].request.method == "PATCH"
    assert http.calls[0].request.body is None


def test_list_sub_number_orders_filters_by_order_and_walks_pages(http, client):
    for page in (1, 2):
        http.get(
            f"{BASE}/sub_number_orders",
            json=page_of([{"id": f"sub-{page}"}], page=page, total_pages=2),
            match=[matchers.query_param_matcher({"page[number]": str(page)}, strict_match=False)],
        )

    subs = client.list_sub_number_orders(order_id=ORDER_ID, country_code="CH")

    assert [sub["id"] for sub in subs] == ["sub-1", "sub-2"]
    params = http.calls[0].request.params
    assert params["filter[order_request_id]"] == ORDER_ID
    assert params["filter[country_code]"] == "CH"
    assert "filter[phone_number_type]" not in params


def test_get_sub_number_order_can_include_its_phone_numbers(http, client):
    http.get(f"{BASE}/sub_number_orders/{SUB_ID}", json={"data": {"id": SUB_ID}})

    client.get_sub_number_order(SUB_ID, include_phone_numbers=True)

    assert http.calls[0].request.params == {"filter[include_phone_numbers]": "true"}


def test_list_number_order_phone_numbers_filters_by_country(http, client):
    http.get(
        f"{BASE}/number_order_phone_numbers",
        json=page_of([{"id": "n1"}], page=1, total_pages=1),
    )

    assert [number["id"] for number in client.list_number_order_phone_numbers(country_code="DE")]
    assert http.calls[0].request.params["filter[country_code]"] == "DE"


def test_phone_number_requirements_are_asked_for_in_batches_of_fifty(http, client):
    numbers = [f"+4121547{index:04d}" for index in range(120)]

    def answer(request):
        asked = request.params["filter[phone_number]"].split(",")
        data = [{"phone_number": number, "regulatory_requirements": []} for number in asked]
        return 200, {}, json.dumps(page_of(data, page=1, total_pages=1))

    http.add_callback(responses.GET, f"{BASE}/phone_numbers_regulatory_requirements", answer)

    found = client.list_phone_number_requirements(numbers)

    batches = [call.request.params["filter[phone_number]"].split(",") for call in http.calls]
    assert [len(batch) for batch in batches] == [50, 50, 20]
    assert sum(batches, []) == numbers
    assert [entry["phone_number"] for entry in found] == numbers


def test_phone_number_requirements_for_no_numbers_asks_nothing(http, client):
    assert client.list_phone_number_requirements([]) == []
    assert len(http.calls) == 0


# Retries


def test_get_is_retried_after_server_errors_with_growing_back_off(http, client, sleeps):
    url = f"{BASE}/number_orders/{ORDER_ID}"
    http.get(url, status=500, json=telnyx_error("10007", title="Unexpected error"))
    http.get(url, status=502, body="<html>Bad gateway</html>")
    http.get(url, status=503)
    http.get(url, json={"data": {"id": ORDER_ID}})

    assert client.get_number_order(ORDER_ID) == {"id": ORDER_ID}
    assert len(http.calls) == 4
    # Equal jitter on 0.5 s doubling: each wait lies in [base/2, base], so they also grow.
    assert 0.25 <= sleeps[0] <= 0.5
    assert 0.5 <= sleeps[1] <= 1.0
    assert 1.0 <= sleeps[2] <= 2.0


@pytest.mark.parametrize(
    "failure",
    [requests.exceptions.ReadTimeout("slow"), requests.exceptions.ConnectionError("refused")],
    ids=["timeout", "connection"],
)
def test_get_is_retried_after_a_transport_failure(http, client, sleeps, failure):
    url = f"{BASE}/number_orders/{ORDER_ID}"
    http.get(url, body=failure)
    http.get(url, json={"data": {"id": ORDER_ID}})

    assert client.get_number_order(ORDER_ID) == {"id": ORDER_ID}
    assert len(http.calls) == 2
    assert len(sleeps) == 1


def test_get_gives_up_after_the_retry_budget_with_the_last_status(http, sleeps):
    client = TelnyxClient(api_key=KEY, base_url=BASE, timeout=1, max_retries=2)
    client.sleep = sleeps.append
    http.get(f"{BASE}/number_orders/{ORDER_ID}", status=503)

    with pytest.raises(TelnyxError) as caught:
        client.get_number_order(ORDER_ID)

    assert (caught.value.kind, caught.value.status) == ("http", 503)
    assert caught.value.retryable
    assert len(http.calls) == 3
    assert len(sleeps) == 2


def test_repeated_timeouts_end_as_a_timeout_error_without_status(http, client, sleeps):
    http.get(f"{BASE}/number_orders/{ORDER_ID}", body=requests.exceptions.ConnectTimeout())

    with pytest.raises(TelnyxError) as caught:
        client.get_number_order(ORDER_ID)

    assert (caught.value.kind, caught.value.status) == ("timeout", None)
    assert len(http.calls) == 4
    assert len(sleeps) == 3


def test_no_retries_when_the_budget_is_zero(http, sleeps):
    client = TelnyxClient(api_key=KEY, base_url=BASE, timeout=1, max_retries=0)
    client.sleep = sleeps.append
    http.get(f"{BASE}/number_orders/{ORDER_ID}", status=500)

    with pytest.raises(TelnyxError):
        client.get_number_order(ORDER_ID)
    assert len(http.calls) == 1
    assert sleeps == []


def test_rate_limit_waits_as_long_as_x_ratelimit_reset_says(http, client, sleeps):
    url = f"{BASE}/number_orders/{ORDER_ID}"
    http.get(
        url,
        status=429,
        json=telnyx_error("10011", title="Too many requests"),
        headers={"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "3"},
    )
    http.get(url, json={"data": {"id": ORDER_ID}})

    assert client.get_number_order(ORDER_ID) == {"id": ORDER_ID}
    assert sleeps == [3.0]


def test_rate_limit_wait_is_capped(http, client, sleeps):
    url = f"{BASE}/number_orders/{ORDER_ID}"
    http.get(url, status=429, headers={"x-ratelimit-reset": "3600"})
    http.get(url, json={"data": {"id": ORDER_ID}})

    client.get_number_order(ORDER_ID)

    assert sleeps == [10.0]


def test_rate_limit_without_reset_header_backs_off_exponentially(http, client, sleeps):
    url = f"{BASE}/number_orders/{ORDER_ID}"
    http.get(url, status=429)
    http.get(url, json={"data": {"id": ORDER_ID}})

    client.get_number_order(ORDER_ID)

    assert 0.25 <= sleeps[0] <= 0.5


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500},
        {"body": requests.exceptions.ReadTimeout()},
        {"body": requests.exceptions.ConnectionError()},
    ],
    ids=["500", "timeout", "connection"],
)
def test_patch_is_not_retried_when_telnyx_may_have_applied_it(http, client, sleeps, failure):
    http.patch(f"{BASE}/number_orders/{ORDER_ID}", **failure)

    with pytest.raises(TelnyxError) as caught:
        client.update_number_order(ORDER_ID, customer_reference="X")

    assert caught.value.retryable
    assert len(http.calls) == 1
    assert sleeps == []


def test_patch_is_retried_after_rate_limit(http, client, sleeps):
    url = f"{BASE}/sub_number_orders/{SUB_ID}/cancel"
    http.patch(url, status=429, headers={"x-ratelimit-reset": "2"})
    http.patch(url, json={"data": {"id": SUB_ID}})

    assert client.cancel_sub_number_order(SUB_ID) == {"id": SUB_ID}
    assert len(http.calls) == 2
    assert sleeps == [2.0]


def test_client_errors_are_not_retried(http, client, sleeps):
    http.get(
        f"{BASE}/number_orders/{ORDER_ID}",
        status=404,
        json=telnyx_error("10005", title="Resource not found"),
    )

    with pytest.raises(TelnyxError) as caught:
        client.get_number_order(ORDER_ID)

    assert caught.value.status == 404
    assert not caught.value.retryable
    assert len(http.calls) == 1
    assert sleeps == []


# Errors


def test_error_keeps_telnyx_string_code_title_detail_and_source(http, client):
    http.patch(
        f"{BASE}/number_orders/{ORDER_ID}",
        status=422,
        json=telnyx_error(
            "10015",
            title="Invalid value",
            detail="Must be at least 5 characters",
            pointer="/regulatory_requirements/0/field_value",
        ),
    )

    with pytest.raises(TelnyxError) as caught:
        client.update_number_order(ORDER_ID, regulatory_requirements=[])

    error = caught.value
    assert (error.kind, error.status, error.code) == ("http", 422, "10015")
    assert error.title == "Invalid value"
    assert error.detail == "Must be at least 5 characters"
    assert error.pointer == "/regulatory_requirements/0/field_value"
    assert error.parameter is None
    assert len(error.errors) == 1
    assert str(error) == (
        "Telnyx answered HTTP 422, code 10015: Invalid value (Must be at least 5 characters)"
        " at /regulatory_requirements/0/field_value."
    )


def test_error_stores_an_integer_code_as_a_string_and_keeps_every_error(http, client):
    body = telnyx_error(10015, title="Bad filter", parameter="filter[status]")
    body["errors"].append({"code": 10016, "title": "Second problem"})
    http.get(f"{BASE}/number_orders", status=400, json=body)

    with pytest.raises(TelnyxError) as caught:
        list(client.list_number_orders(status="nonsense"))

    assert caught.value.code == "10015"
    assert caught.value.parameter == "filter[status]"
    assert caught.value.pointer is None
    assert [error["title"] for error in caught.value.errors] == ["Bad filter", "Second problem"]


def test_error_without_telnyx_body_keeps_status_and_reason(http):
    client = TelnyxClient(api_key=KEY, base_url=BASE, timeout=1, max_retries=0)
    http.get(f"{BASE}/number_orders/{ORDER_ID}", status=502, body="<html>upstream</html>")

    with pytest.raises(TelnyxError) as caught:
        client.get_number_order(ORDER_ID)

    assert (caught.value.kind, caught.value.status, caught.value.code) == ("http", 502, None)
    assert caught.value.title == "Bad Gateway"
    assert caught.value.errors == []


@pytest.mark.parametrize(
    "body",
    ["<html>maintenance</html>", "[]", '{"meta": {}}', '{"data": null}', '{"data": []}'],
    ids=["not-json", "not-an-object", "no-data", "null-data", "list-not-object"],
)
def test_success_without_a_data_object_is_malformed(http, client, sleeps, body):
    http.get(f"{BASE}/number_orders/{ORDER_ID}", body=body, content_type="application/json")

    with pytest.raises(TelnyxError) as caught:
        client.get_number_order(ORDER_ID)

    assert caught.value.kind == "malformed"
    assert not caught.value.retryable
    assert str(caught.value).startswith("Telnyx sent an unexpected answer")
    assert sleeps == []


def test_list_page_without_a_data_list_is_malformed(http, client):
    http.get(f"{BASE}/number_orders", json={"data": {"id": ORDER_ID}})

    with pytest.raises(TelnyxError) as caught:
        list(client.list_number_orders())

    assert caught.value.kind == "malformed"


MEGABYTE = "x" * 1_000_000


def assert_short_clean_strings(error: TelnyxError) -> None:
    """Every text of the error is a short line of printable characters, or absent."""
    codes = [error.code, *(item.get("code") for item in error.errors)]
    texts = [error.title, error.detail, error.pointer, error.parameter]
    for item in error.errors:
        texts += [item.get("title"), item.get("detail"), *item.get("source", {}).values()]
    for text in [*codes, *texts, str(error)]:
        assert text is None or (isinstance(text, str) and text.isprintable())
    assert all(len(code) <= 32 for code in codes if code)
    assert all(len(text) <= 500 for text in texts if text)
    assert len(str(error)) <= 1600


def refused_with(http, body, **kwargs) -> TelnyxError:
    http.patch(f"{BASE}/number_orders/{ORDER_ID}", status=422, body=body, **kwargs)
    client = TelnyxClient(api_key=KEY, base_url=BASE, timeout=1)
    with pytest.raises(TelnyxError) as caught:
        client.update_number_order(ORDER_ID, customer_reference="X")
    assert_short_clean_strings(caught.value)
    return caught.value


def one_error(**fields) -> str:
    return json.dumps({"errors": [fields]})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10015, "10015"),
        (1.5, "1.5"),
        ({"nested": "object"}, None),
        (["a", "list"], None),
        (None, None),
        (True, None),
        ("100\x0015", "10015"),
        (MEGABYTE, "x" * 31 + "…"),
    ],
    ids=["int", "float", "object", "list", "null", "bool", "nul", "megabyte"],
)
def test_error_code_of_any_json_type_becomes_a_short_string_or_none(http, value, expected):
    assert refused_with(http, one_error(code=value, title="Invalid value")).code == expected


@pytest.mark.parametrize("field", ["title", "detail"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (42, "42"),
        ({"nested": "object"}, ""),
        ([1, 2], ""),
        (None, ""),
        ("Must\x00 be\nshort\t\x1b[0m", "Must be short [0m"),
        (MEGABYTE, "x" * 499 + "…"),
    ],
    ids=["number", "object", "list", "null", "control-characters", "megabyte"],
)
def test_error_title_and_detail_become_short_clean_strings(http, field, value, expected):
    error = refused_with(http, one_error(**{field: value}))

    # A title Telnyx did not give is the HTTP reason.
    shown = expected or "Unprocessable Entity" if field == "title" else expected
    assert getattr(error, field) == shown
    assert error.errors[0].get(field, "") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/customer\x00_reference", "/customer_reference"),
        (7, "7"),
        ({"a": 1}, None),
        ([], None),
        (None, None),
        ("/" + MEGABYTE, "/" + "x" * 498 + "…"),
    ],
    ids=["nul", "number", "object", "list", "null", "megabyte"],
)
def test_error_source_pointer_becomes_a_short_clean_string_or_none(http, value, expected):
    error = refused_with(http, one_error(title="Invalid", source={"pointer": value}))

    assert error.pointer == expected
    assert error.errors[0].get("source", {}).get("pointer") == expected


@pytest.mark.parametrize(
    "body",
    [
        "<html>\x00</html>",
        '{"errors": {"code": "10015"}}',
        '{"errors": "everything"}',
        '{"errors": [1, "two", null, []]}',
        "[" * 100_000 + "]" * 100_000,
        b"\xff\xfe not utf-8",
        "null",
    ],
    ids=["not-json", "errors-object", "errors-string", "no-error-objects", "deep", "bytes", "null"],
)
def test_error_body_of_the_wrong_shape_gives_the_status_alone(http, body):
    error = refused_with(http, body)

    assert (error.kind, error.status, error.code) == ("http", 422, None)
    assert error.title == "Unprocessable Entity"
    assert error.errors == []


def test_error_keeps_twenty_of_telnyx_s_errors_with_their_fields_only(http):
    body = {"errors": [{"title": f"Problem {n}", "meta": {"n": n}} for n in range(1000)]}

    error = refused_with(http, json.dumps(body))

    assert error.errors == [{"title": f"Problem {n}"} for n in range(20)]


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe not utf-8",
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["bytes", "deep"],
)
def test_success_with_a_body_that_cannot_be_read_is_malformed(http, client, body):
    http.get(f"{BASE}/number_orders", body=body, content_type="application/json")

    with pytest.raises(TelnyxError) as caught:
        list(client.list_number_orders())

    assert caught.value.kind == "malformed"


def test_a_list_of_records_holding_a_non_object_is_malformed(http, client):
    http.get(
        f"{BASE}/sub_number_orders", json=page_of([{"id": "a"}, 1, "two"], page=1, total_pages=1)
    )

    with pytest.raises(TelnyxError) as caught:
        client.list_sub_number_orders(order_id=ORDER_ID)

    assert caught.value.kind == "malformed"


def test_the_order_listing_yields_items_that_are_not_objects_for_the_caller_to_count(http, client):
    order_list_page(http, [{"id": "a"}, None, "x", 42, []], page=1, total_pages=1)

    assert list(client.list_number_orders()) == [{"id": "a"}, None, "x", 42, []]


def test_a_listing_claiming_absurdly_many_pages_stops_with_a_clear_failure(http, client):
    order_list_page(http, [{"id": "a"}], page=1, total_pages=10**9)

    with pytest.raises(TelnyxError) as caught:
        list(client.list_number_orders())

    assert caught.value.kind == "malformed"
    assert "claims 1000000000 pages" in str(caught.value)
    assert len(http.calls) == 1


@pytest.mark.parametrize("cycle", [[1, 2, 2], [1, 2, 1]], ids=["same-again", "an-earlier-one"])
def test_a_listing_that_repeats_a_page_stops_with_a_clear_failure(http, client, cycle):
    """A server that ignores page[number] would otherwise keep the walk going for ever."""
    pages = {1: [{"id": "a"}], 2: [{"id": "b"}]}
    for number, served in enumerate(cycle, start=1):
        order_list_page(http, pages[served], page=number, total_pages=5000)

    with pytest.raises(TelnyxError) as caught:
        list(client.list_number_orders())

    assert "repeated an earlier page as page 3" in str(caught.value)
    assert len(http.calls) == 3


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (TelnyxError("timeout"), True),
        (TelnyxError("connection"), True),
        (TelnyxError("http", status=500), True),
        (TelnyxError("http", status=429), True),
        (TelnyxError("http", status=422), False),
        (TelnyxError("malformed", status=200), False),
    ],
)
def test_only_transient_failures_are_retryable(error, retryable):
    assert error.retryable is retryable


def test_refused_connection_becomes_a_connection_error(refusing_url):
    client = TelnyxClient(api_key=KEY, base_url=refusing_url, timeout=2, max_retries=0)

    with pytest.raises(TelnyxError) as caught:
        client.get_number_order(ORDER_ID)

    assert (caught.value.kind, caught.value.status) == ("connection", None)
    assert str(caught.value) == "Could not connect to Telnyx."


# Time budget: against a Telnyx that never answers


def test_get_is_retried_only_within_its_budget_then_fails_as_a_timeout(silent_server):
    client = TelnyxClient(
        api_key=KEY, base_url=silent_server.url, timeout=0.3, max_retries=5, backoff=0.1, budget=1
    )
    started = time.monotonic()

    with pytest.raises(TelnyxError) as caught:
        client.get_number_order(ORDER_ID)

    assert time.monotonic() - started < 1 + SLACK
    # Retried (each attempt waits 0.3 s), but no attempt started past the budget.
    assert len(silent_server.accepted) >= 2
    assert all(at < started + 1 for at in silent_server.accepted)
    error = caught.value
    assert (error.kind, error.budget, error.status) == ("timeout", 1, None)
    assert error.retryable
    assert not error.outcome_unknown
    assert str(error) == "Telnyx did not answer within 1 s."


def test_attempt_timeout_longer_than_the_budget_is_cut_to_it(silent_server):
    client = TelnyxClient(
        api_key=KEY, base_url=silent_server.url, timeout=30, max_retries=3, budget=0.5
    )
    started = time.monotonic()

    with pytest.raises(TelnyxError) as caught:
        client.get_number_order(ORDER_ID)

    assert time.monotonic() - started < 0.5 + SLACK
    assert len(silent_server.accepted) == 1
    assert (caught.value.kind, caught.value.budget) == ("timeout", 0.5)


def test_write_that_got_no_answer_has_an_unknown_outcome(silent_server):
    client = TelnyxClient(
        api_key=KEY, base_url=silent_server.url, timeout=30, max_retries=3, budget=0.5
    )
    started = time.monotonic()

    with pytest.raises(TelnyxError) as caught:
        client.update_number_order(ORDER_ID, customer_reference="X")

    assert time.monotonic() - started < 0.5 + SLACK
    assert len(silent_server.accepted) == 1
    assert (caught.value.kind, caught.value.budget) == ("timeout", 0.5)
    assert caught.value.outcome_unknown


def test_write_that_could_not_connect_changed_nothing(refusing_url):
    client = TelnyxClient(api_key=KEY, base_url=refusing_url, timeout=2, budget=1)

    with pytest.raises(TelnyxError) as caught:
        client.update_number_order(ORDER_ID, customer_reference="X")

    assert caught.value.kind == "connection"
    assert not caught.value.outcome_unknown


# Time budget: waits and attempt timeouts


def test_each_attempt_may_take_at_most_the_time_left(http, budgeted, sleeps):
    http.get(ORDER_URL, status=429, headers={"x-ratelimit-reset": "3"})
    http.get(ORDER_URL, json={"data": {"id": ORDER_ID}})

    assert budgeted.get_number_order(ORDER_ID) == {"id": ORDER_ID}

    timeouts = [call.request.req_kwargs["timeout"] for call in http.calls]
    assert all(isinstance(timeout, Timeout) for timeout in timeouts)
    assert [timeout.total for timeout in timeouts] == [8.0, 5.0]
    assert {(timeout.connect_timeout, timeout.read_timeout) for timeout in timeouts} == {(4.5, 4.5)}
    assert sleeps == [3.0]


def test_rate_limit_wait_longer_than_the_time_left_is_not_made(http, budgeted, sleeps):
    http.get(ORDER_URL, status=429, headers={"x-ratelimit-reset": "9"})

    with pytest.raises(TelnyxError) as caught:
        budgeted.get_number_order(ORDER_ID)

    assert (caught.value.status, caught.value.retry_after) == (429, 9.0)
    assert len(http.calls) == 1
    assert sleeps == []


def test_waits_stop_where_the_next_would_overrun_the_budget(http, budgeted, sleeps):
    http.get(ORDER_URL, status=429, headers={"x-ratelimit-reset": "3"})

    with pytest.raises(TelnyxError) as caught:
        budgeted.get_number_order(ORDER_ID)

    assert caught.value.status == 429
    # 3 s, 3 s, and a third wait would end past the 8 s, though one more retry is allowed.
    assert sleeps == [3.0, 3.0]
    assert len(http.calls) == 3


# What a failed write tells of its outcome


@pytest.mark.parametrize(
    ("failure", "unknown"),
    [
        ({"body": requests.exceptions.ReadTimeout()}, True),
        ({"body": requests.exceptions.ConnectionError("connection reset while reading")}, True),
        ({"status": 500}, True),
        ({"status": 504}, True),
        ({"body": requests.exceptions.ConnectTimeout()}, False),
        ({"status": 429}, False),
        ({"status": 422}, False),
    ],
    ids=["read-timeout", "dropped", "500", "504", "connect-timeout", "429", "422"],
)
def test_failed_write_says_whether_telnyx_may_have_applied_it(http, failure, unknown):
    client = TelnyxClient(api_key=KEY, base_url=BASE, timeout=1, max_retries=0)
    http.patch(ORDER_URL, **failure)

    with pytest.raises(TelnyxError) as caught:
        client.update_number_order(ORDER_ID, customer_reference="X")

    assert caught.value.outcome_unknown is unknown


def test_failed_read_has_no_unknown_outcome(http):
    client = TelnyxClient(api_key=KEY, base_url=BASE, timeout=1, max_retries=0)
    http.get(ORDER_URL, body=requests.exceptions.ReadTimeout())

    with pytest.raises(TelnyxError) as caught:
        client.get_number_order(ORDER_ID)

    assert not caught.value.outcome_unknown


# Secrets and logs


def test_api_key_appears_in_no_error_and_no_log_record(http, client, caplog):
    caplog.set_level(logging.DEBUG)
    http.get(
        f"{BASE}/number_orders/{ORDER_ID}",
        status=401,
        json=telnyx_error("10009", title="Authentication failed", detail="Bad key"),
    )
    http.get(f"{BASE}/sub_number_orders/{SUB_ID}", body=requests.exceptions.ReadTimeout(KEY))
    failures = []
    for call in (
        lambda: client.get_number_order(ORDER_ID),
        lambda: client.get_sub_number_order(SUB_ID),
    ):
        with pytest.raises(TelnyxError) as caught:
            call()
        failures.append(caught.value)

    assert caplog.records
    for error in failures:
        assert KEY not in str(error)
        assert KEY not in repr(error)
        assert all(KEY not in str(arg) for arg in error.args)
    assert KEY not in repr(client)
    for record in caplog.records:
        assert KEY not in record.getMessage()


def test_each_call_is_logged_with_method_path_and_status(http, client, caplog):
    caplog.set_level(logging.DEBUG, logger="orders.telnyx")
    http.patch(f"{BASE}/number_orders/{ORDER_ID}", json={"data": {"id": ORDER_ID}})

    client.update_number_order(ORDER_ID, customer_reference="X")

    [record] = [record for record in caplog.records if record.name == "orders.telnyx"]
    assert record.getMessage().startswith(f"Telnyx PATCH /number_orders/{ORDER_ID} 200 ")


# Configuration


def test_get_client_is_configured_from_settings(settings, http):
    settings.TELNYX_API_KEY = KEY
    settings.TELNYX_API_BASE = BASE + "/"
    settings.TELNYX_TIMEOUT = 7.5
    settings.TELNYX_MAX_RETRIES = 1
    settings.TELNYX_SYNC_CONCURRENCY = 16
    http.get(f"{BASE}/number_orders/{ORDER_ID}", json={"data": {"id": ORDER_ID}})

    client = get_client()
    client.get_number_order(ORDER_ID)

    assert client.max_retries == 1
    assert client.session.get_adapter(BASE)._pool_maxsize == 16
    request = http.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.req_kwargs["timeout"] == 7.5


def test_interactive_client_has_the_interactive_budget_and_the_sync_s_none(settings):
    settings.TELNYX_API_KEY = KEY
    settings.TELNYX_API_BASE = BASE
    settings.TELNYX_INTERACTIVE_BUDGET = 3.5

    interactive, sync = get_client(interactive=True), get_client()

    assert (interactive.budget, sync.budget) == (3.5, None)


def test_budget_covers_every_request_of_the_client(http, sleeps):
    """A person's action: the write, then fetching the order again, all within one budget."""
    now = [1000.0]
    telnyx = TelnyxClient(api_key=KEY, base_url=BASE, timeout=4.5, budget=8.0)
    telnyx.clock = lambda: now[0]
    http.add("PATCH", ORDER_URL, json={"data": {"id": ORDER_ID}})
    http.add("GET", ORDER_URL, json={"data": {"id": ORDER_ID}})

    telnyx.update_number_order(ORDER_ID, customer_reference="X")
    now[0] += 6.0
    telnyx.get_number_order(ORDER_ID)

    assert http.calls[1].request.req_kwargs["timeout"].total == pytest.approx(2.0)
    now[0] += 2.0
    with pytest.raises(TelnyxError) as caught:
        telnyx.get_number_order(ORDER_ID)
    assert (caught.value.kind, caught.value.budget) == ("timeout", 8.0)
    assert not caught.value.outcome_unknown
    assert len(http.calls) == 2
