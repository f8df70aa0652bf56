"""Every way Telnyx can fail a person's action, over HTTP: fix requirements, cancel a sub order
and refresh, with and without HTMX. Never a 500 nor Python's words on the page, always a clear
message, exactly one completed audit entry, and the cached order as it was (marked gone on a
404; fetched again when a write may have been applied)."""

import html
import re
from dataclasses import dataclass

import pytest
import requests
from django.urls import reverse

from orders.models import AuditEntry, AuditOutcome, Order
from tests.helpers import (
    FAILURES,
    FAKE_TELNYX,
    HTMX,
    Failure,
    form_data,
    marked_gone,
    telnyx_order,
    telnyx_sub_orders,
)

# Small, so that the faults that spend the whole budget keep the matrix fast.
BUDGET = 0.5
# What Python says when it fails, which no page may show.
RAW_PYTHON = re.compile(
    r"Traceback|Error\(|Exception\b|<class |\b(Key|Type|Attribute|Value|Runtime)Error\b"
)


@dataclass(frozen=True)
class Action:
    name: str
    write: bool

    def post(self, client, order: Order, *, htmx: bool):
        """Does the action on `order` as its page does; a redirect is followed."""
        headers = HTMX if htmx else {}
        if self.name == "update":
            url = reverse("order_update", args=[order.pk])
            data = form_data(order, customer_reference="NEW-REF")
        elif self.name == "cancel":
            url = reverse("sub_order_cancel", args=[order.sub_orders.get().pk])
            data = {"reason": "Customer withdrew"}
        else:
            url = reverse("order_refresh", args=[order.pk])
            data = {}
        return client.post(url, data, headers=headers, follow=True)

    def faulted(self, order: Order) -> tuple[str, str]:
        """The call to Telnyx that meets the fault: method and URL."""
        if self.name == "update":
            return "PATCH", f"{FAKE_TELNYX}/number_orders/{order.pk}"
        if self.name == "cancel":
            return "PATCH", f"{FAKE_TELNYX}/sub_number_orders/{order.sub_orders.get().pk}/cancel"
        return "GET", f"{FAKE_TELNYX}/number_orders/{order.pk}"

    def expected(self, failure: Failure) -> Failure:
        return failure.written() if self.write else failure


ACTIONS = [Action("update", write=True), Action("cancel", write=True), Action("refresh", False)]


@pytest.fixture
def budget(settings):
    settings.TELNYX_INTERACTIVE_BUDGET = BUDGET
    # Longer than the budget: the budget is what ends a call.
    settings.TELNYX_TIMEOUT = 5.0


def page_text(response) -> str:
    """What the person reads: the final page, unescaped, after checking no 500 came on the way
    and no Python text is in it."""
    assert all(status < 500 for _, status in response.redirect_chain)
    assert response.status_code in (200, 422), response.status_code
    body = html.unescape(response.content.decode())
    assert not RAW_PYTHON.search(body), RAW_PYTHON.search(body)
    return body


def only_entry() -> AuditEntry:
    (entry,) = AuditEntry.objects.all()
    assert entry.outcome != AuditOutcome.PENDING
    return entry


def check_unchanged(before: dict, after: dict, *, gone: bool) -> None:
    assert marked_gone(after) is gone
    marked_gone(before)
    assert after == before


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.name)
@pytest.mark.parametrize("failure", FAILURES, ids=lambda failure: failure.name)
def test_upstream_failure(
    failure, action, htmx, budget, mocked_telnyx, order_factory, manager_client, cache_snapshot
):
    order = order_factory()
    failure.register(mocked_telnyx, *action.faulted(order))
    before = cache_snapshot(order.pk)
    expected = action.expected(failure)

    body = page_text(action.post(manager_client, order, htmx=htmx))

    assert expected.message in body
    if action.write and failure.applied_maybe:
        assert "Nothing was changed" not in body
    entry = only_entry()
    assert (entry.outcome, entry.http_status, entry.telnyx_code) == (
        expected.outcome,
        expected.status,
        expected.code,
    )
    gone = failure.outcome == AuditOutcome.GONE and action.name != "cancel"
    check_unchanged(before, cache_snapshot(order.pk), gone=gone)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.name)
def test_unanswering_telnyx_costs_the_budget_and_says_so(
    action, htmx, budget, settings, silent_server, order_factory, manager_client, cache_snapshot
):
    settings.TELNYX_API_BASE = silent_server.url
    order = order_factory()
    before = cache_snapshot(order.pk)

    body = page_text(action.post(manager_client, order, htmx=htmx))

    assert f"Telnyx did not answer within {BUDGET:g} s." in body
    entry = only_entry()
    if action.write:
        assert "It is not known whether Telnyx applied the change" in body
        assert "fetching the order again failed too" in body
        assert "Nothing was changed" not in body
        assert entry.outcome == AuditOutcome.UNKNOWN
    else:
        assert "Nothing was changed; try again" in body
        assert entry.outcome == AuditOutcome.FAILED
    # The write was sent once; the fetch after it found the budget spent and was not sent.
    assert len(silent_server.accepted) == 1
    check_unchanged(before, cache_snapshot(order.pk), gone=False)


def bad_shape(action: Action, order: Order, mock) -> None:
    """Telnyx answers 200 with something that is not what the call returns."""
    method, url = action.faulted(order)
    if action.name == "update":
        answer = {"id": str(order.pk), "phone_numbers": "+41215470000"}
    elif action.name == "cancel":
        answer = ["not", "a", "sub order"]
    else:
        answer = telnyx_order(order, phone_numbers={"+41215470000": {}})
        mock.add("GET", f"{FAKE_TELNYX}/sub_number_orders", json={"data": []})
    mock.add(method, url, json={"data": answer})


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.name)
def test_answer_of_the_wrong_shape_is_a_clear_failure(
    action, htmx, budget, mocked_telnyx, order_factory, manager_client, cache_snapshot
):
    order = order_factory()
    bad_shape(action, order, mocked_telnyx)
    before = cache_snapshot(order.pk)

    body = page_text(action.post(manager_client, order, htmx=htmx))

    assert "Telnyx sent an unexpected answer" in body
    entry = only_entry()
    if action.write:
        assert "It is not known whether Telnyx applied the change" in body
        assert entry.outcome == AuditOutcome.UNKNOWN
    else:
        assert "Nothing was changed here" in body
        assert entry.outcome == AuditOutcome.FAILED
    check_unchanged(before, cache_snapshot(order.pk), gone=False)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("action", ACTIONS[:2], ids=lambda action: action.name)
def test_write_applied_but_answered_too_late_refreshes_the_order(
    action, htmx, budget, mocked_telnyx, order_factory, manager_client
):
    order = order_factory(customer_reference="OLD")
    method, url = action.faulted(order)
    mocked_telnyx.add(method, url, body=requests.ReadTimeout("read timed out"))
    # What Telnyx holds once the write was applied.
    if action.name == "update":
        changed = telnyx_order(order, customer_reference="NEW-REF")
        sub_orders = telnyx_sub_orders(order)
    else:
        changed = telnyx_order(order, status="cancelled")
        sub_orders = telnyx_sub_orders(order, status="cancelled")
    mocked_telnyx.add("GET", f"{FAKE_TELNYX}/number_orders/{order.pk}", json={"data": changed})
    mocked_telnyx.add("GET", f"{FAKE_TELNYX}/sub_number_orders", json={"data": sub_orders})

    response = action.post(manager_client, order, htmx=htmx)

    body = page_text(response)
    assert "It is not known whether Telnyx applied the change" in body
    assert "fetched from Telnyx again" in body
    assert "Nothing was changed" not in body
    assert only_entry().outcome == AuditOutcome.UNKNOWN
    order.refresh_from_db()
    if action.name == "update":
        assert order.customer_reference == "NEW-REF"
    else:
        assert order.sub_orders.get().status == "cancelled"
    if htmx:
        assert "ordersChanged" in response["HX-Trigger"]
