"""The audit trail of the order actions: append-only, listed read-only in the admin, and shown on
the order page together with Telnyx's webhook events."""

import ast
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from orders.models import AuditEntry, AuditOutcome
from orders.selectors.history import HISTORY_SHOWN, order_history
from orders.services.actions import ActionFailed, sub_order_cancel
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
