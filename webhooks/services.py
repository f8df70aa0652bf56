"""Stores a Telnyx webhook event once and applies it to the order cache, at once when its
payload is enough, or by a background worker when the order must be fetched from Telnyx."""

import logging

from django.db import IntegrityError, transaction

from orders.services.refresh import order_apply_payload
from orders.services.store import SyncOutcome
from orders.telnyx import TelnyxError
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
    SyncOutcome.DEFERRED: Outcome.QUEUED,
}


def event_receive(*, event: Event) -> WebhookEvent | None:
    """Records `event` and applies it; returns the record, or None for a repeat delivery (which
    changes nothing).

    The record is claimed in its own short transaction before anything is applied, so the
    unique event id makes a concurrent repeat back off. Nothing here waits on Telnyx: a payload
    that needs the order fetched is queued for a worker (event_apply), whatever Telnyx's speed.
    Until the outcome is known the record says "failed", which stays true if the process dies
    half way (the scheduled sync then repairs the order).
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
        _apply(record, fetch=False)
    logger.info(
        "Telnyx event %s (%s) for order %s: %s",
        record.event_id,
        record.event_type,
        record.order_id,
        record.outcome,
    )
    return record


def event_apply(*, event_pk: int) -> WebhookEvent | None:
    """Applies a queued event, fetching its order from Telnyx (a worker's task). Does nothing to
    an event that is not queued (applied already) or gone."""
    record = WebhookEvent.objects.filter(pk=event_pk, outcome=Outcome.QUEUED).first()
    if record is not None:
        _apply(record, fetch=True)
        logger.info("Telnyx event %s applied by a worker: %s", record.event_id, record.outcome)
    return record


def _apply(record: WebhookEvent, *, fetch: bool) -> None:
    try:
        order, result = order_apply_payload(payload=record.payload, fetch=fetch)
    except TelnyxError as exc:
        # Acknowledged all the same (see views.telnyx): the scheduled sync is the safety net.
        logger.warning("Telnyx event %s not applied: %s", record.event_id, exc)
        record.outcome, record.detail = Outcome.FAILED, f"not applied: {exc}"
    else:
        record.outcome, record.detail = _OUTCOMES[result], result
        if order is not None:
            record.order_id = order.id
    record.save(update_fields=["outcome", "detail", "order_id"])
    if record.outcome == Outcome.QUEUED:
        from webhooks import tasks  # the tasks call this module

        tasks.event_apply.enqueue(record.pk)
