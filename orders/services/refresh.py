"""Bringing one order up to date: fetched from Telnyx, or from the payload Telnyx pushed."""

from uuid import UUID

from orders.models import Order, Status, SubOrder
from orders.services.fetch import (
    client_scope,
    definitions_fetch,
    definitions_missing,
    order_fetch,
)
from orders.services.store import (
    SyncOutcome,
    known_requirement_ids,
    order_mark_gone,
    order_store,
)
from orders.services.telnyx_data import OrderBundle, malformed, shared_uuid
from orders.services.telnyx_fields import identifier, record, records, text, timestamp
from orders.telnyx import TelnyxClient, TelnyxError


def _refresh(*, order_id: UUID | str, client: TelnyxClient | None) -> tuple[Order, SyncOutcome]:
    known = known_requirement_ids()
    with client_scope(client) as telnyx:
        try:
            bundle = order_fetch(client=telnyx, order_id=str(order_id), known_requirement_ids=known)
        except TelnyxError as error:
            if error.status == 404:
                order_mark_gone(order_id=order_id)
            raise
    return order_store(bundle=bundle)


def order_reload(*, order_id: UUID | str, client: TelnyxClient | None = None) -> Order:
    """Fetches one order from Telnyx and stores it. When Telnyx answers 404 the cached order
    (if any) is marked gone and the TelnyxError raised; finding it again clears the mark."""
    return _refresh(order_id=order_id, client=client)[0]


def _has_full_numbers(numbers: list) -> bool:
    """Every number with its requirements: storing it cannot drop what the payload left out."""
    return all(
        "regulatory_requirements" in number and "requirements_met" in number for number in numbers
    )


def _sub_orders_named(payload: dict, numbers: list) -> set[UUID]:
    named = {
        identifier(sub_id, f"sub_number_orders_ids[{index}]", shared_uuid)
        for index, sub_id in enumerate(
            records(payload.get("sub_number_orders_ids"), "sub_number_orders_ids")
        )
    }
    return named | {
        identifier(sub_id, f"phone_numbers[{index}].sub_number_order_id", shared_uuid)
        for index, number in enumerate(numbers)
        if (sub_id := number.get("sub_number_order_id"))
    }


def _cached_sub_orders(order_id: UUID, *, named: set[UUID], status: str) -> list[dict] | None:
    """The cached sub orders as Telnyx would send them, or None when they may not be current:
    the payload names a sub order we do not hold, or the order is no longer pending while a
    cached sub order still is (the sync re-pulls only pending orders, so the cache would keep
    that sub order pending for good)."""
    cached = list(SubOrder.objects.filter(order_id=order_id))
    if not cached or not named <= {sub.id for sub in cached}:
        return None
    if status != Status.PENDING and any(sub.status == Status.PENDING for sub in cached):
        return None
    return [
        {
            "id": str(sub.id),
            "country_code": sub.country_code,
            "phone_number_type": sub.phone_number_type,
            "status": sub.status,
            "requirements_met": sub.requirements_met,
            "phone_numbers_count": sub.phone_numbers_count,
            "is_block_sub_number_order": sub.is_block_sub_number_order,
            "created_at": sub.created_at.isoformat(),
            "updated_at": sub.updated_at.isoformat(),
        }
        for sub in cached
    ]


def order_apply_payload(
    *, payload: dict, client: TelnyxClient | None = None, fetch: bool = True
) -> tuple[Order | None, SyncOutcome]:
    """Applies an order Telnyx pushed (a webhook's payload) to the cache.

    Returns the order and what happened (a SyncOutcome): STALE (older than what we hold) or
    UNCHANGED (the version we hold) change nothing and ask Telnyx nothing; CREATED / UPDATED
    when the payload was complete enough to store as it is (full phone numbers with their
    requirements, sub orders we hold); REFRESHED when the order had to be fetched from Telnyx
    instead.
    A failed fetch raises TelnyxError (after marking the order gone on a 404), and so does a
    payload that cannot be read (kind "malformed").
    With `fetch` False nothing is asked of Telnyx: a payload that would need it changes nothing
    and answers DEFERRED (the webhook receiver leaves it to a worker).
    """
    with malformed("webhook payload"):
        # Read as strictly as the sync reads: what could not be stored is refused here, before
        # the cache is looked at, whichever way the payload would have gone on.
        payload = record(payload, "payload")
        order_id = identifier(payload.get("id"), "id")
        updated_at = timestamp(payload.get("updated_at"), "updated_at")
        status = text(payload.get("status"), "status", required=True)
        numbers = [
            record(number, f"phone_numbers[{index}]")
            for index, number in enumerate(records(payload.get("phone_numbers"), "phone_numbers"))
        ]
        named = _sub_orders_named(payload, numbers)
        full = isinstance(payload.get("phone_numbers"), list) and _has_full_numbers(numbers)
    cached = Order.objects.filter(pk=order_id).first()
    if cached is not None and updated_at is not None and updated_at <= cached.updated_at:
        return (
            cached,
            SyncOutcome.STALE if updated_at < cached.updated_at else SyncOutcome.UNCHANGED,
        )
    sub_orders = _cached_sub_orders(order_id, named=named, status=status) if full else None
    if sub_orders is None:
        if not fetch:
            return cached, SyncOutcome.DEFERRED
        return _refresh(order_id=order_id, client=client)[0], SyncOutcome.REFRESHED
    known = known_requirement_ids()
    with malformed(f"order {order_id}"):
        if not fetch and definitions_missing(phone_numbers=payload["phone_numbers"], known=known):
            return cached, SyncOutcome.DEFERRED
        definitions = definitions_fetch(
            client=client, phone_numbers=payload["phone_numbers"], known=known
        )
    return order_store(
        bundle=OrderBundle(order=payload, sub_orders=sub_orders, definitions=definitions)
    )
