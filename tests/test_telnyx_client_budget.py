"""The Telnyx client's time budget for requests a person waits on, and what its errors say of
writes whose outcome is unknown: against a loopback server that accepts and never answers,
and against canned answers (`responses`) on a clock that only the client's waits move."""

import socket
import threading
import time
from types import SimpleNamespace

import pytest
import requests
import responses
from urllib3.util import Timeout

from orders.telnyx import TelnyxClient, TelnyxError, get_client

BASE = "https://telnyx.test/v2"
KEY = "KEYsecret0123456789"
ORDER_ID = "12ade33a-21c0-473b-b055-b3c836e1c292"
ORDER_URL = f"{BASE}/number_orders/{ORDER_ID}"
# What a loaded machine may add to a call that gives up at its budget.
SLACK = 0.3


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


@pytest.fixture
def http():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def sleeps() -> list[float]:
    return []


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


# Against a Telnyx that never answers


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


def test_write_that_could_not_connect_changed_nothing():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more, so the connection is refused.
    client = TelnyxClient(api_key=KEY, base_url=f"http://127.0.0.1:{port}/v2", timeout=2, budget=1)

    with pytest.raises(TelnyxError) as caught:
        client.update_number_order(ORDER_ID, customer_reference="X")

    assert caught.value.kind == "connection"
    assert not caught.value.outcome_unknown


# Waits and attempt timeouts within the budget


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


def test_without_a_budget_the_timeout_is_the_plain_setting(http):
    client = TelnyxClient(api_key=KEY, base_url=BASE, timeout=4.5)
    http.get(ORDER_URL, json={"data": {"id": ORDER_ID}})

    client.get_number_order(ORDER_ID)

    assert http.calls[0].request.req_kwargs["timeout"] == 4.5


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


# Configuration


def test_interactive_client_has_the_interactive_budget_and_the_sync_s_none(settings):
    settings.TELNYX_API_KEY = KEY
    settings.TELNYX_API_BASE = BASE
    settings.TELNYX_INTERACTIVE_BUDGET = 3.5

    assert get_client(interactive=True).budget == 3.5
    assert get_client().budget is None
