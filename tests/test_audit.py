"""The audit trail of the order actions: append-only, listed read-only in the admin, and shown on
the order page together with Telnyx's webhook events."""

import ast
import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from orders.models import AuditEntry, AuditOutcome
from orders.selectors.history import HISTORY_SHOWN, order_history
from orders.services.actions import ActionFailed, order_update, sub_order_cancel
from orders.services.audit import audit_complete, audit_write
from orders.telnyx import TelnyxClient
from tests.helpers import FAKE_TELNYX, telnyx_order, telnyx_sub_orders
from webhooks.models import WebhookEvent


def entry(order_id, **fields) -> AuditEntry:
    return AuditEntry.objects.create(
        **{
            "username": "manager",
            "action": AuditEntry.Action.CANCEL,
            "order_id": order_id,
            "outcome": AuditOutcome.REFUSED,
            "http_status": 422,
            "telnyx_code": "10015",
            "telnyx_detail": "/status: Only pending sub number orders can be cancelled",
            "reason": "Customer withdrew",
        }
        | fields
    )


def test_audit_entries_cannot_be_changed_or_deleted(order_factory, manager_user):
    sub_order = order_factory(status="success").sub_orders.get()
    with pytest.raises(ActionFailed) as caught:
        sub_order_cancel(sub_order=sub_order, user=manager_user, reason="forged")
    written = caught.value.entry

    written.reason = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        written.save()
    with pytest.raises(ValueError, match="append-only"):
        written.delete()

    assert AuditEntry.objects.get().reason == "forged"


def test_a_pending_entry_is_completed_once_and_then_never_changes(order_factory, manager_user):
    order = order_factory()
    pending = audit_write(
        user=manager_user,
        outcome=AuditOutcome.PENDING,
        action=AuditEntry.Action.REFRESH,
        order_id=order.pk,
    )

    with pytest.raises(ValueError, match="completed with how the attempt ended"):
        audit_complete(pending, outcome=AuditOutcome.PENDING)
    audit_complete(pending, outcome=AuditOutcome.SUCCESS, after={"status": "success"})

    stored = AuditEntry.objects.get()
    assert (stored.outcome, stored.http_status, stored.after) == (
        AuditOutcome.SUCCESS,
        200,
        {"status": "success"},
    )
    with pytest.raises(ValueError, match="not pending"):
        audit_complete(stored, outcome=AuditOutcome.FAILED)
    with pytest.raises(ValueError, match="append-only"):
        stored.save()
    assert AuditEntry.objects.get().outcome == AuditOutcome.SUCCESS


def test_the_entry_is_pending_while_telnyx_is_called(mocked_telnyx, order_factory, manager_user):
    order = order_factory()
    seen = []

    def answer(request):
        seen.append(list(AuditEntry.objects.values_list("outcome", flat=True)))
        return 200, {}, json.dumps({"data": telnyx_order(order, customer_reference="NEW")})

    mocked_telnyx.add_callback("PATCH", f"{FAKE_TELNYX}/number_orders/{order.pk}", answer)
    mocked_telnyx.add(
        "GET", f"{FAKE_TELNYX}/sub_number_orders", json={"data": telnyx_sub_orders(order)}
    )

    order_update(order=order, user=manager_user, customer_reference="NEW", changes={})

    assert seen == [[AuditOutcome.PENDING]]
    assert AuditEntry.objects.get().outcome == AuditOutcome.SUCCESS


def test_an_attempt_that_breaks_off_is_completed_as_failed(
    mocked_telnyx, order_factory, manager_user, monkeypatch
):
    def broken(self, order_id, **changes):
        raise RuntimeError("a bug")

    monkeypatch.setattr(TelnyxClient, "update_number_order", broken)

    with pytest.raises(RuntimeError):
        order_update(order=order_factory(), user=manager_user, customer_reference="X", changes={})

    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.telnyx_detail) == (
        AuditOutcome.FAILED,
        "broke off on the dashboard",
    )


def test_nul_telnyx_answers_with_is_audited_without_it(mocked_telnyx, order_factory, manager_user):
    """PostgreSQL refuses NUL in text and JSON: such an answer used to fail the whole request
    there, with no audit entry."""
    order = order_factory()
    reference = "NEW\x00REF"
    mocked_telnyx.add(
        "PATCH",
        f"{FAKE_TELNYX}/number_orders/{order.pk}",
        json={"data": telnyx_order(order, customer_reference=reference)},
    )
    mocked_telnyx.add(
        "GET", f"{FAKE_TELNYX}/sub_number_orders", json={"data": telnyx_sub_orders(order)}
    )

    order_update(order=order, user=manager_user, customer_reference=reference, changes={})

    entry = AuditEntry.objects.get()
    assert entry.outcome == AuditOutcome.SUCCESS
    assert entry.after == {"customer_reference": "NEWREF"}
    assert entry.sent["body"] == {"customer_reference": "NEWREF"}


def test_pending_and_unknown_outcomes_are_shown_in_the_history(order_factory, support_client):
    order = order_factory()
    entry(order.pk, outcome=AuditOutcome.PENDING, http_status=None, telnyx_code="")
    entry(order.pk, outcome=AuditOutcome.UNKNOWN, http_status=None, telnyx_code="")

    body = support_client.get(reverse("order_detail", args=[order.pk])).content.decode()

    history = body[body.index('id="history"') :]
    assert 'data-status="pending">Pending (no answer yet)<' in history
    assert 'data-status="unknown">Outcome unknown<' in history


def test_admin_lists_all_audit_entries_read_only(admin_client, db):
    first, second = uuid.uuid4(), uuid.uuid4()
    kept = entry(first)
    entry(second, username="other-manager", action=AuditEntry.Action.REFRESH)
    base = "admin:orders_auditentry"

    listing = admin_client.get(reverse(f"{base}_changelist"))
    shown = admin_client.get(reverse(f"{base}_change", args=[kept.pk]))
    add = admin_client.get(reverse(f"{base}_add"))
    delete = admin_client.post(reverse(f"{base}_delete", args=[kept.pk]), {"post": "yes"})

    body = listing.content.decode()
    assert listing.status_code == 200
    assert str(first) in body and str(second) in body and "other-manager" in body
    assert shown.status_code == 200
    assert 'name="_save"' not in shown.content.decode()
    assert add.status_code == 403
    assert delete.status_code == 403
    assert AuditEntry.objects.count() == 2


def test_order_page_shows_its_history_with_webhook_events(order_factory, support_client):
    order = order_factory()
    entry(order.pk)
    entry(uuid.uuid4(), username="someone-else")
    WebhookEvent.objects.create(
        event_id="evt-1",
        event_type="number_order.complete",
        order_id=order.pk,
        outcome="applied",
        payload={},
        received_at=timezone.now() - timedelta(hours=1),
    )

    body = support_client.get(reverse("order_detail", args=[order.pk])).content.decode()

    history = body[body.index('id="history"') :]
    assert "manager" in history and "Cancel sub order" in history
    assert "Refused by Telnyx" in history
    assert "HTTP 422 code 10015 /status: Only pending" in history
    assert "Reason: Customer withdrew" in history
    assert "number_order.complete" in history and "Telnyx (webhook)" in history
    assert "someone-else" not in history
    # Newest first: the audit entry was written after the event arrived.
    assert history.index("Cancel sub order") < history.index("number_order.complete")


def test_history_shows_the_latest_entries_only(order_factory):
    order = order_factory()
    for _ in range(HISTORY_SHOWN + 3):
        entry(order.pk)

    assert len(order_history(order_id=order.pk)) == HISTORY_SHOWN


def test_orders_reads_webhook_events_only_through_the_history_source_webhooks_registers():
    """webhooks depends on orders, never the reverse: no module of orders imports webhooks."""
    imported = set()
    for path in (Path(settings.BASE_DIR) / "orders").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add((node.module, path.name))
            elif isinstance(node, ast.Import):
                imported.update((alias.name, path.name) for alias in node.names)

    assert [found for found in imported if found[0].split(".")[0] == "webhooks"] == []
    assert ("orders.models", "history.py") in imported  # the walk reached the selectors
