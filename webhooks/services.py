"""Stores a Telnyx webhook event once and applies it to the order cache."""

import logging

from django.db import IntegrityError, transaction

from orders.services.refresh import order_apply_payload
from orders.services.store import SyncOutcome
from orders.telnyx import TelnyxClient, TelnyxError
from webhooks.events import Event
from webhooks.models import Outcome, WebhookEvent

logger = logging.getLogger("webhooks")

ORDER_COMPLETE = "number_order.complete"

# What order_apply_payload reports -> what the event record says.
_OUTCOMES = {
    SyncOutcome.CREATED: Outcome.APPLIED,
    SyncOutcome.UPDATED: Outcome.APPLIED,
    SyncOutcome.UNCHANGED: Outcome.DUPLICATE_IGNORED,
    SyncOutcome.STALE: Outcome.STALE,
    SyncOutcome.REFRESHED: Outcome.REFRESHED,
}


def event_receive(*, event: Event, client: TelnyxClient | None = None) -> WebhookEvent | None:
    """Records `event` and applies it; returns the record, or None for a repeat delivery (which
    changes nothing).

    The record is claimed in its own short transaction before anything is applied, so the
    unique event id makes a concurrent repeat back off, and no lock is held while a partial
    payload is refreshed from Telnyx. Until the outcome is known the record says "failed", which
    stays true if the process dies half way (the scheduled sync then repairs the order).
    """
    handled = event.event_type == ORDER_COMPLETE
    try:
        with transaction.atomic():
            record = WebhookEvent.objects.create(
                event_id=event.id,
                event_type=event.event_type,
                occurred_at=event.occurred_at,
                order_id=event.order_id,
                attempt=event.attempt,
                outcome=Outcome.FAILED if handled else Outcome.IGNORED,
                detail="interrupted before it was applied" if handled else "event type not handled",
                payload=event.payload,
            )
    except IntegrityError:
        logger.info("Telnyx event %s (%s) repeated: ignored", event.id, event.event_type)
        return None
    if handled:
        _apply(record, client=client)
    logger.info(
        "Telnyx event %s (%s) for order %s: %s",
        record.event_id,
        record.event_type,
        record.order_id,
        record.outcome,
    )
    return record


def _apply(record: WebhookEvent, *, client: TelnyxClient | None) -> None:
    try:
        order, result = order_apply_payload(payload=record.payload, client=client)
    except TelnyxError as exc:
        # Acknowledged all the same (see views.telnyx): the scheduled sync is the safety net.
        logger.warning("Telnyx event %s not applied: %s", record.event_id, exc)
        record.outcome, record.detail = Outcome.FAILED, f"not applied: {exc}"
    else:
        record.outcome, record.detail = _OUTCOMES[result], result
        if order is not None:
            record.order_id = order.id
    record.save(update_fields=["outcome", "detail", "order_id"])
