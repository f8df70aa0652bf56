"""POST /webhooks/telnyx/: signed Telnyx events are stored once and applied to the cache."""

import json
import logging
import time
import uuid
from datetime import datetime, timedelta
from unittest.mock import patch

import pytest
from django.test import Client

from orders.models import Order
from orders.services.store import SyncOutcome
from orders.telnyx import TelnyxError
from tests.helpers import WebhookSigner, run_tasks, telnyx_order, webhook_event
from webhooks.models import Outcome, WebhookEvent
from webhooks.selectors import events_for_order

URL = "/webhooks/telnyx/"
SECRET_REFERENCE = "SECRET-REF-7731"
SECRET_VALUE = "CHE-999.888.777"


def order_payload(order_id: str | None = None, **fields) -> dict:
    return {
        "id": order_id or str(uuid.uuid4()),
        "record_type": "number_order",
        "status": "success",
        "customer_reference": SECRET_REFERENCE,
        "phone_numbers": [
            {
                "phone_number": "+41215470000",
                "regulatory_requirements": [{"field_value": SECRET_VALUE}],
            }
        ],
        "updated_at": "2026-11-20T10:00:00.000000Z",
        **fields,
    }


def event(payload: dict | None = None, *, event_id: str | None = None, **data) -> bytes:
    return webhook_event(order_payload() if payload is None else payload, event_id=event_id, **data)


def deliver(client: Client, body: bytes, headers: dict[str, str]):
    return client.post(URL, data=body, content_type="application/json", headers=headers)


@pytest.fixture
def apply():
    """The order service, replaced: these tests are about the receiver, not the cache."""
    with patch(
        "webhooks.services.order_apply_payload", return_value=(None, SyncOutcome.UPDATED)
    ) as mock:
        yield mock


def test_signed_order_complete_is_applied_and_recorded(client, db, webhook_signer, apply):
    payload = order_payload()
    body = event(payload, event_id="ev-1")

    response = deliver(client, body, webhook_signer.headers(body))

    assert response.status_code == 200
    assert response.json() == {"outcome": "applied"}
    apply.assert_called_once_with(payload=payload, fetch=False)
    record = WebhookEvent.objects.get()
    assert record.event_id == "ev-1"
    assert record.event_type == "number_order.complete"
    assert record.order_id == uuid.UUID(payload["id"])
    assert record.occurred_at.isoformat() == "2026-11-20T10:00:01.123456+00:00"
    assert record.attempt == 1
    assert record.outcome == Outcome.APPLIED
    assert record.payload == payload


def test_anonymous_delivery_is_not_sent_to_the_login_page(client, db, webhook_signer, apply):
    body = event()
    response = deliver(client, body, webhook_signer.headers(body))
    assert response.status_code == 200
    assert "Location" not in response.headers


def test_delivery_needs_no_csrf_token(db, webhook_signer, apply):
    body = event()
    response = deliver(Client(enforce_csrf_checks=True), body, webhook_signer.headers(body))
    assert response.status_code == 200
    apply.assert_called_once()


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_only_post_is_allowed(client, db, method):
    assert getattr(client, method)(URL).status_code == 405


@pytest.fixture
def clock() -> int:
    """Stops the receiver's clock at the current second, so that 301 s is 301 s."""
    now = int(time.time())
    with patch("webhooks.signatures.time") as frozen:
        frozen.time.return_value = now
        yield now


def tampered(signer, body, now):
    return body.replace(b"success", b"failure"), signer.headers(body)


def wrong_key(signer, body, now):
    return body, WebhookSigner().headers(body)


def stale(signer, body, now):
    return body, signer.headers(body, timestamp=now - 301)


def future(signer, body, now):
    return body, signer.headers(body, timestamp=now + 301)


def no_signature(signer, body, now):
    headers = signer.headers(body)
    del headers["telnyx-signature-ed25519"]
    return body, headers


def no_timestamp(signer, body, now):
    headers = signer.headers(body)
    del headers["telnyx-timestamp"]
    return body, headers


def garbage_signature(signer, body, now):
    return body, signer.headers(body) | {"telnyx-signature-ed25519": "%%% not base64 %%%"}


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (tampered, "does not match"),
        (wrong_key, "does not match"),
        (stale, "301 s old"),
        (future, "301 s in the future"),
        (no_signature, "no telnyx-signature-ed25519 header"),
        (no_timestamp, "no telnyx-timestamp header"),
        (garbage_signature, "not base64"),
    ],
)
def test_unverified_delivery_is_refused_and_nothing_stored(
    client, db, webhook_signer, apply, caplog, clock, forge, reason
):
    body, headers = forge(webhook_signer, event(event_id="ev-forged"), clock)

    with caplog.at_level(logging.WARNING, logger="webhooks"):
        response = deliver(client, body, headers)

    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()
    apply.assert_not_called()
    assert reason in caplog.text
    assert "'ev-forged'" in caplog.text


def test_delivery_is_refused_when_no_public_key_is_configured(client, db, settings, apply, caplog):
    signed_by_someone = WebhookSigner()
    settings.TELNYX_PUBLIC_KEY = ""
    body = event()

    with caplog.at_level(logging.ERROR, logger="webhooks"):
        response = deliver(client, body, signed_by_someone.headers(body))

    assert response.status_code == 503
    assert not WebhookEvent.objects.exists()
    apply.assert_not_called()
    assert "TELNYX_PUBLIC_KEY is not set" in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[" * 100_000,
        b"[]",
        b'{"data": []}',
        b'{"meta": {}}',
        json.dumps({"data": {"event_type": "number_order.complete", "payload": {}}}).encode(),
        json.dumps({"data": {"id": 7, "event_type": "x", "payload": {}}}).encode(),
        json.dumps({"data": {"id": "", "event_type": "x", "payload": {}}}).encode(),
        json.dumps({"data": {"id": "a\u0000b", "event_type": "x", "payload": {}}}).encode(),
        json.dumps({"data": {"id": "x" * 256, "event_type": "x", "payload": {}}}).encode(),
        json.dumps({"data": {"id": "e", "payload": {}}}).encode(),
        json.dumps({"data": {"id": "e", "event_type": "number_order.complete"}}).encode(),
        json.dumps({"data": {"id": "e", "event_type": "x", "payload": [1]}}).encode(),
        json.dumps({"data": {"id": "e", "event_type": "x", "payload": "{}"}}).encode(),
    ],
    ids=lambda body: body[:40].decode(errors="replace"),
)
def test_signed_but_malformed_event_is_refused_with_400(client, db, webhook_signer, apply, body):
    response = deliver(client, body, webhook_signer.headers(body))

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    apply.assert_not_called()


def test_timestamp_of_thousands_of_digits_is_refused_not_a_500(client, db, webhook_signer, apply):
    body = event()
    headers = webhook_signer.headers(body) | {"telnyx-timestamp": "9" * 5000}

    response = deliver(client, body, headers)

    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()


def _number(payload: dict) -> dict:
    return payload["phone_numbers"][0]


def _requirement(payload: dict) -> dict:
    return _number(payload)["regulatory_requirements"][0]


# Signed, well formed, and not storable or not showable as they are: each once made the delivery
# (or a page showing the order afterwards) fail with a 500 on SQLite or PostgreSQL.
POISONED = {
    "NUL in a value": lambda p: p.update(customer_reference="REF\u0000"),
    "NUL in a key": lambda p: p.update({"note\u0000": "x"}),
    "unpaired surrogate": lambda p: p.update(customer_reference="REF\ud800"),
    "year 9999 at -14:00": lambda p: p.update(updated_at="9999-12-31T23:00:00-14:00"),
    "year 1": lambda p: p.update(created_at="0001-01-01T00:00:00+00:00"),
    "30 February": lambda p: p.update(updated_at="2026-02-30T10:00:00Z"),
    "deadline in year 9999": lambda p: _number(p).update(deadline="9999-12-31T23:00:00-14:00"),
    "deadline in year 1": lambda p: _number(p).update(deadline="0001-01-01T00:00:00Z"),
    "date value on 30 February": lambda p: _requirement(p).update(
        field_type="date", field_value="2026-02-30"
    ),
    "NaN": lambda p: p.update(phone_numbers_count=float("nan")),
    "count beyond 32 bits": lambda p: p.update(phone_numbers_count=2**40),
    "count of 31 digits": lambda p: p.update(phone_numbers_count=10**30),
}


def poisoned_body(payload: dict, case: str) -> bytes:
    POISONED[case](payload)
    return event(payload)


@pytest.mark.parametrize("case", POISONED)
def test_signed_payload_the_cache_could_not_hold_is_refused_with_400(
    client, db, webhook_signer, apply, case
):
    body = poisoned_body(order_payload(), case)

    response = deliver(client, body, webhook_signer.headers(body))

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    apply.assert_not_called()


@pytest.mark.parametrize(
    "body",
    [
        event(occurred_at="0001-01-01T00:00:00+14:00"),
        event(occurred_at="2026-02-30T10:00:00Z"),
        event().replace(b'"attempt": 1', b'"attempt": 1e400'),
        event().replace(b'"attempt": 1', b'"attempt": Infinity'),
    ],
    ids=["occurred_at in year 0", "occurred_at on 30 February", "1e400", "Infinity"],
)
def test_signed_envelope_the_database_could_not_hold_is_refused_with_400(
    client, db, webhook_signer, apply, body
):
    response = deliver(client, body, webhook_signer.headers(body))

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "value",
    ["1990-05-01", "2026-12-01T10:00:00+14:00", "CHE-123.456.789", "41215470000", "12:30"],
)
def test_dates_of_this_era_and_text_that_is_no_date_are_accepted(
    client, db, webhook_signer, apply, value
):
    payload = order_payload()
    _requirement(payload)["field_value"] = value
    body = event(payload)

    response = deliver(client, body, webhook_signer.headers(body))

    assert response.status_code == 200
    assert WebhookEvent.objects.get().payload == payload


def test_repeated_delivery_is_acknowledged_and_applied_once(client, db, webhook_signer, apply):
    first = event(event_id="ev-twice")
    again = first.replace(b'"attempt": 1', b'"attempt": 2')

    responses = [deliver(client, body, webhook_signer.headers(body)) for body in (first, again)]

    assert [r.status_code for r in responses] == [200, 200]
    assert responses[1].json() == {"outcome": "duplicate-ignored"}
    apply.assert_called_once()
    record = WebhookEvent.objects.get()
    assert (record.attempt, record.outcome) == (1, Outcome.APPLIED)


def test_unknown_event_type_is_stored_as_ignored(client, db, webhook_signer, apply):
    body = event(event_type="number_order.deadline_approaching", event_id="ev-other")

    response = deliver(client, body, webhook_signer.headers(body))

    assert response.status_code == 200
    apply.assert_not_called()
    record = WebhookEvent.objects.get(event_id="ev-other")
    assert record.outcome == Outcome.IGNORED


@pytest.mark.parametrize(
    ("result", "outcome"),
    [
        (SyncOutcome.CREATED, Outcome.APPLIED),
        (SyncOutcome.UPDATED, Outcome.APPLIED),
        (SyncOutcome.UNCHANGED, Outcome.DUPLICATE_IGNORED),
        (SyncOutcome.STALE, Outcome.STALE),
        (SyncOutcome.REFRESHED, Outcome.REFRESHED),
        (SyncOutcome.DEFERRED, Outcome.QUEUED),
    ],
)
def test_outcome_says_what_the_order_service_did(
    client, db, webhook_signer, apply, result, outcome
):
    apply.return_value = (None, result)
    body = event()

    response = deliver(client, body, webhook_signer.headers(body))

    assert response.json() == {"outcome": outcome}
    assert WebhookEvent.objects.get().outcome == outcome


def test_failure_to_apply_is_recorded_and_still_acknowledged(
    client, db, webhook_signer, apply, caplog
):
    apply.side_effect = TelnyxError("timeout")
    body = event(event_id="ev-fails")

    with caplog.at_level(logging.INFO, logger="webhooks"):
        response = deliver(client, body, webhook_signer.headers(body))

    assert response.status_code == 200
    record = WebhookEvent.objects.get()
    assert record.outcome == Outcome.FAILED
    assert "did not answer in time" in record.detail
    assert "ev-fails" in caplog.text


def test_logs_never_hold_the_body_or_the_signature(client, db, webhook_signer, apply, caplog):
    applied = event(event_id="ev-logged")
    signed = webhook_signer.headers(applied)
    malformed = event([order_payload()], event_id="ev-logged")
    forged = applied.replace(b"success", b"failure")

    with caplog.at_level(logging.DEBUG):
        deliver(client, applied, signed)
        deliver(client, malformed, webhook_signer.headers(malformed))
        deliver(client, forged, signed)

    assert caplog.text.count("ev-logged") >= 3
    for secret in (SECRET_REFERENCE, SECRET_VALUE, signed["telnyx-signature-ed25519"]):
        assert secret not in caplog.text


def test_events_for_order_lists_that_orders_events_newest_first(client, db, webhook_signer, apply):
    order_id = str(uuid.uuid4())
    for event_id in ("ev-a", "ev-b"):
        body = event(order_payload(order_id), event_id=event_id)
        deliver(client, body, webhook_signer.headers(body))
    body = event(event_id="ev-other-order")
    deliver(client, body, webhook_signer.headers(body))

    events = events_for_order(order_id=uuid.UUID(order_id))

    assert [e.event_id for e in events] == ["ev-b", "ev-a"]


def test_admin_lists_and_finds_events_by_order_id(admin_client, webhook_signer, apply):
    order_id = str(uuid.uuid4())
    body = event(order_payload(order_id), event_id="ev-admin")
    deliver(admin_client, body, webhook_signer.headers(body))
    other = event(event_id="ev-unrelated")
    deliver(admin_client, other, webhook_signer.headers(other))

    found = admin_client.get("/admin/webhooks/webhookevent/", {"q": order_id[:8]})

    assert found.status_code == 200
    assert b"ev-admin" in found.content
    assert b"ev-unrelated" not in found.content


def test_admin_cannot_add_change_or_delete_events(admin_client, webhook_signer, apply):
    body = event(event_id="ev-readonly")
    deliver(admin_client, body, webhook_signer.headers(body))
    pk = WebhookEvent.objects.get().pk
    base = "/admin/webhooks/webhookevent"

    assert admin_client.get(f"{base}/add/").status_code == 403
    assert admin_client.get(f"{base}/{pk}/delete/").status_code == 403
    assert admin_client.post(f"{base}/{pk}/change/", {"outcome": "applied"}).status_code == 403
    assert admin_client.get(f"{base}/{pk}/change/").status_code == 200


# --- end to end, with the real order service --------------------------------------------------


def payload_of(order: Order, *, updated_at: datetime, **fields) -> dict:
    """The order as a number_order.complete payload carries it: full numbers, requirements."""
    return telnyx_order(order, updated_at=updated_at.isoformat(), **fields)


def test_signed_payload_updates_the_cached_order(client, order_factory, webhook_signer):
    order = order_factory(numbers=2)
    newer = order.updated_at + timedelta(hours=1)
    body = event(payload_of(order, updated_at=newer, customer_reference="REF-WEBHOOK"))

    response = deliver(client, body, webhook_signer.headers(body))

    assert response.json() == {"outcome": "applied"}
    order.refresh_from_db()
    assert (order.customer_reference, order.updated_at) == ("REF-WEBHOOK", newer)
    assert [e.outcome for e in events_for_order(order_id=order.id)] == [Outcome.APPLIED]


def test_older_payload_arriving_late_changes_nothing(client, order_factory, webhook_signer):
    order = order_factory(numbers=2)
    held = order.updated_at
    body = event(
        payload_of(order, updated_at=held - timedelta(minutes=5), customer_reference="REF-OLD")
    )

    response = deliver(client, body, webhook_signer.headers(body))

    assert response.json() == {"outcome": "stale"}
    order.refresh_from_db()
    assert (order.customer_reference, order.updated_at) == ("REF-001", held)
    assert WebhookEvent.objects.get().order_id == order.id


def test_out_of_order_deliveries_keep_the_newest_version(client, order_factory, webhook_signer):
    order = order_factory(numbers=1)
    first = order.updated_at + timedelta(minutes=1)
    second = order.updated_at + timedelta(minutes=2)
    newest = event(payload_of(order, updated_at=second, customer_reference="REF-SECOND"))
    older = event(payload_of(order, updated_at=first, customer_reference="REF-FIRST"))

    outcomes = [
        deliver(client, body, webhook_signer.headers(body)).json()["outcome"]
        for body in (newest, older)
    ]

    assert outcomes == ["applied", "stale"]
    order.refresh_from_db()
    assert order.customer_reference == "REF-SECOND"


def test_payload_the_service_cannot_read_is_recorded_as_failed_not_a_500(
    client, db, webhook_signer
):
    body = event({"id": "not-a-uuid", "status": "success"}, event_id="ev-unreadable")

    response = deliver(client, body, webhook_signer.headers(body))

    assert response.json() == {"outcome": "failed"}
    record = WebhookEvent.objects.get()
    assert record.order_id is None
    assert "unexpected answer" in record.detail


def test_payload_for_an_order_not_cached_yet_creates_it_from_telnyx(
    client, db, webhook_signer, sandbox, telnyx_settings
):
    order_id, payload = next(iter(sandbox.orders.items()))
    body = event(payload, event_id="ev-new-order")

    response = deliver(client, body, webhook_signer.headers(body))

    assert response.json() == {"outcome": "queued"}
    run_tasks()
    assert WebhookEvent.objects.get().outcome == Outcome.REFRESHED
    order = Order.objects.get(pk=order_id)
    assert order.phone_numbers.count() == len(payload["phone_numbers"])
    assert WebhookEvent.objects.get().order_id == order.id
    assert any(request.path.endswith(f"/number_orders/{order_id}") for request in sandbox.requests)


def test_refresh_failure_is_recorded_as_failed_and_acknowledged(
    client, db, webhook_signer, sandbox, telnyx_settings
):
    order_id, payload = next(iter(sandbox.orders.items()))
    sandbox.faults.order_faults[order_id] = "500"
    body = event(payload, event_id="ev-upstream-down")

    response = deliver(client, body, webhook_signer.headers(body))

    assert response.status_code == 200
    assert response.json() == {"outcome": "queued"}
    run_tasks()
    assert WebhookEvent.objects.get().outcome == Outcome.FAILED
    assert not Order.objects.filter(pk=order_id).exists()
    assert "HTTP 500" in WebhookEvent.objects.get().detail


@pytest.mark.parametrize("case", POISONED)
def test_refused_payload_leaves_the_order_and_every_page_showing_it_intact(
    admin_client, order_factory, webhook_signer, cache_snapshot, settings, case
):
    # A zone west of UTC: showing year 1 in local time is where the pages overflowed.
    settings.TIME_ZONE = "America/New_York"
    order = order_factory(numbers=1)
    before = cache_snapshot(order.id)
    newer = order.updated_at + timedelta(hours=1)
    body = poisoned_body(payload_of(order, updated_at=newer), case)

    assert deliver(admin_client, body, webhook_signer.headers(body)).status_code == 400

    assert cache_snapshot(order.id) == before
    for page in (
        "/orders/",
        f"/orders/{order.id}/",
        "/admin/orders/order/",
        f"/admin/orders/order/{order.id}/change/",
        "/admin/webhooks/webhookevent/",
    ):
        assert admin_client.get(page).status_code == 200, page
    clean = event(payload_of(order, updated_at=newer, customer_reference="REF-AFTER"))
    assert deliver(admin_client, clean, webhook_signer.headers(clean)).json() == {
        "outcome": "applied"
    }
