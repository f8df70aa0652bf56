"""order_update: fixing requirement values and the customer reference at Telnyx, against the
sandbox and against every kind of upstream failure; each attempt leaves one audit entry."""

import json

import pytest

from orders.models import AuditEntry, AuditOutcome, Order, RequirementValue
from orders.selectors.order_page import RequirementSummary
from orders.services.actions import ActionFailed, order_update
from tests.helpers import (
    FAILURES,
    FAKE_TELNYX,
    SANDBOX_KEY,
    Failure,
    marked_gone,
    other_customer_type,
    patches,
    pending_requirement,
    requirement,
    telnyx_error,
)


def open_values(order: Order, summary: RequirementSummary) -> set[tuple[str, str]]:
    return set(
        RequirementValue.objects.filter(
            phone_number__order=order, requirement_id=summary.requirement_id
        )
        .exclude(phone_number__requirements_status="cancelled")
        .values_list("field_value", "status")
    )


def test_update_sends_only_the_changed_value_and_caches_telnyx_answer(synced, manager_user):
    order, summary = pending_requirement("Customer type")
    new = other_customer_type(summary)

    done = order_update(order=order, user=manager_user, changes={summary.requirement_id: new})

    body = {
        "regulatory_requirements": [
            {"requirement_id": str(summary.requirement_id), "field_value": new}
        ]
    }
    assert [request.body for request in patches(synced)] == [body]
    # The PATCH answer is the whole order: only its sub orders are fetched afterwards.
    gets = [request.path for request in synced.requests if request.method == "GET"]
    assert f"/v2/number_orders/{order.pk}" not in gets
    assert "/v2/sub_number_orders" in gets
    assert done.stored
    assert open_values(order, summary) == {(new, "pending-approval")}
    entry = AuditEntry.objects.get()
    assert entry == done.entry
    assert (entry.action, entry.outcome, entry.http_status) == ("update", AuditOutcome.SUCCESS, 200)
    assert (entry.user, entry.username, entry.order_id) == (manager_user, "manager", order.pk)
    assert entry.sent == {"method": "PATCH", "path": f"/number_orders/{order.pk}", "body": body}
    assert entry.before == {str(summary.requirement_id): summary.current_value}
    assert entry.after == {str(summary.requirement_id): new}


def test_update_of_the_customer_reference_alone_sends_only_it(synced, manager_user):
    order, _ = pending_requirement("Customer type")
    old = order.customer_reference

    order_update(order=order, user=manager_user, customer_reference="PO-2026-7", changes={})

    assert [request.body for request in patches(synced)] == [{"customer_reference": "PO-2026-7"}]
    assert Order.objects.get(pk=order.pk).customer_reference == "PO-2026-7"
    entry = AuditEntry.objects.get()
    assert entry.before == {"customer_reference": old}
    assert entry.after == {"customer_reference": "PO-2026-7"}


def test_refusal_is_placed_on_the_requirement_sent_at_the_index_it_points_at(
    synced, manager_user, cache_snapshot
):
    order, customer_type = pending_requirement("Customer type")
    registration = requirement(order, "Business registration number")
    before = cache_snapshot(order.pk)

    with pytest.raises(ActionFailed) as caught:
        order_update(
            order=order,
            user=manager_user,
            changes={
                customer_type.requirement_id: other_customer_type(customer_type),
                registration.requirement_id: "x",
            },
        )

    failed = caught.value
    assert list(failed.problems) == [registration.requirement_id]
    assert "characters long" in failed.problems[registration.requirement_id][0]
    assert failed.message == "Telnyx refused the values marked below, so nothing was changed."
    assert not failed.retryable
    assert cache_snapshot(order.pk) == before
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.http_status, entry.telnyx_code) == (
        AuditOutcome.REFUSED,
        422,
        "10015",
    )
    assert entry.telnyx_detail.startswith("/regulatory_requirements/1/field_value: ")
    assert entry.after == {}


def test_refused_customer_reference_is_placed_on_its_field(
    mocked_telnyx, order_factory, manager_user
):
    order = order_factory()
    refusal = telnyx_error(
        "10015", title="Invalid value", detail="Too long.", pointer="/customer_reference"
    )
    mocked_telnyx.add("PATCH", f"{FAKE_TELNYX}/number_orders/{order.pk}", json=refusal, status=422)

    with pytest.raises(ActionFailed) as caught:
        order_update(order=order, user=manager_user, customer_reference="R" * 300, changes={})

    assert caught.value.problems == {"customer_reference": ["Too long."]}


def test_order_gone_upstream_is_marked_gone_and_nothing_else_changes(
    synced, manager_user, cache_snapshot
):
    order, summary = pending_requirement("Customer type")
    before = cache_snapshot(order.pk)
    synced.faults.order_faults[str(order.pk)] = "404"

    with pytest.raises(ActionFailed) as caught:
        order_update(order=order, user=manager_user, changes={summary.requirement_id: "business"})

    assert "no longer knows this order" in caught.value.message
    after = cache_snapshot(order.pk)
    assert marked_gone(after)
    assert not marked_gone(before)
    assert after == before
    assert AuditEntry.objects.get().outcome == AuditOutcome.GONE


@pytest.mark.parametrize("failure", FAILURES, ids=lambda failure: failure.name)
def test_upstream_failure_changes_nothing_and_is_audited(
    failure: Failure, mocked_telnyx, order_factory, manager_user, cache_snapshot
):
    failure = failure.written()
    order = order_factory()
    value = RequirementValue.objects.filter(phone_number__order=order).first()
    failure.register(mocked_telnyx, "PATCH", f"{FAKE_TELNYX}/number_orders/{order.pk}")
    before = cache_snapshot(order.pk)

    with pytest.raises(ActionFailed) as caught:
        order_update(
            order=order,
            user=manager_user,
            customer_reference="NEW-REF",
            changes={value.requirement_id: "CHE-123.456.789"},
        )

    failed = caught.value
    assert failure.message in failed.message
    assert failed.retryable is failure.retryable
    after = cache_snapshot(order.pk)
    assert marked_gone(after) is (failure.outcome == AuditOutcome.GONE)
    marked_gone(before)
    assert after == before
    entry = AuditEntry.objects.get()
    assert failed.entry == entry
    assert (entry.outcome, entry.http_status, entry.telnyx_code) == (
        failure.outcome,
        failure.status,
        failure.code,
    )
    assert entry.telnyx_detail
    assert entry.sent["body"]["customer_reference"] == "NEW-REF"
    assert entry.before == {str(value.requirement_id): "", "customer_reference": "REF-001"}
    recorded = json.dumps(AuditEntry.objects.values().get(), default=str)
    assert SANDBOX_KEY not in recorded


def test_accepted_change_counts_as_done_when_the_order_cannot_be_fetched_afterwards(
    mocked_telnyx, order_factory, manager_user, cache_snapshot
):
    order = order_factory(customer_reference="OLD")
    answer = {
        "id": str(order.pk),
        "status": "pending",
        "customer_reference": "NEW",
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
        "phone_numbers": [],
    }
    mocked_telnyx.add("PATCH", f"{FAKE_TELNYX}/number_orders/{order.pk}", json={"data": answer})
    FAILURES[5].register(mocked_telnyx, "GET", f"{FAKE_TELNYX}/sub_number_orders")
    before = cache_snapshot(order.pk)

    done = order_update(order=order, user=manager_user, customer_reference="NEW", changes={})

    assert not done.stored
    assert cache_snapshot(order.pk) == before
    entry = AuditEntry.objects.get()
    assert entry.outcome == AuditOutcome.SUCCESS
    assert entry.after == {"customer_reference": "NEW"}
