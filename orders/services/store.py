"""Storing fetched orders in the cache: one transaction for one order or a batch of them."""

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orders.models import Order, PhoneNumber, RequirementDefinition, RequirementValue, SubOrder
from orders.services.telnyx_data import OrderBundle, OrderRows, malformed, order_rows
from orders.services.upsert import upsert
from orders.telnyx import TelnyxError


class SyncOutcome(StrEnum):
    """What storing an order from Telnyx came to. Counted and mapped, never stored itself."""

    CREATED = "created"
    UPDATED = "updated"
    # The version we hold: nothing rewritten.
    UNCHANGED = "unchanged"
    # Older than the version we hold: nothing written.
    STALE = "stale"
    # A pushed payload that could not be stored as it was: the order was fetched instead.
    REFRESHED = "refreshed"
    # A pushed payload that needs Telnyx to be stored, left for a background task.
    DEFERRED = "deferred"


# What order_rows() gives per number and per requirement value: compared with the cached row to skip
# rewriting what did not change.
_NUMBER_CONTENT = (
    "order_id",
    "sub_order_id",
    "phone_number",
    "digits",
    "country_code",
    "phone_number_type",
    "status",
    "requirements_met",
    "requirements_status",
    "deadline",
    "locality",
    "bundle_id",
)
_VALUE_CONTENT = ("field_type", "field_value", "status")
_DEFINITION_FIELDS = [
    "label",
    "description",
    "example",
    "field_type",
    "acceptance_criteria",
    "updated_at",
    "synced_at",
]


def _differs(row: dict | None, fields: dict) -> bool:
    return row is None or any(row[name] != value for name, value in fields.items())


def _unchanged(batch: list[OrderRows], cached: dict[UUID, Order]) -> set[UUID]:
    """Orders whose version we hold already. Telnyx bumps `updated_at` with every change: an
    equal one, with the order's own fields and its sub orders' versions equal, means there is
    nothing to rewrite."""
    candidates = {
        rows.order["id"]: rows
        for rows in batch
        if (order := cached.get(rows.order["id"])) is not None
        and all(getattr(order, name) == value for name, value in rows.order.items())
    }
    held: dict[UUID, set] = {order_id: set() for order_id in candidates}
    for order_id, *version in SubOrder.objects.filter(order_id__in=list(candidates)).values_list(
        "order_id", "id", "updated_at", "status"
    ):
        held[order_id].add(tuple(version))
    return {
        order_id
        for order_id, rows in candidates.items()
        if held[order_id]
        == {(id_, sub["updated_at"], sub["status"]) for id_, sub in rows.sub_orders.items()}
    }


def _definitions_save(batch: list[OrderRows], synced_at: datetime) -> None:
    definitions = {id_: fields for rows in batch for id_, fields in rows.definitions.items()}
    if definitions:
        RequirementDefinition.objects.bulk_create(
            [
                RequirementDefinition(id=id_, synced_at=synced_at, **fields)
                for id_, fields in definitions.items()
            ],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=_DEFINITION_FIELDS,
        )


def _sub_orders_save(batch: list[OrderRows], synced_at: datetime, *, known: list[UUID]) -> None:
    """`known`: the orders we held before, the only ones that can have sub orders to drop."""
    keep = [
        {"id": id_, "order_id": rows.order["id"], **fields, "synced_at": synced_at}
        for rows in batch
        for id_, fields in rows.sub_orders.items()
    ]
    upsert(SubOrder, keep, unique=("id",))
    if known:
        SubOrder.objects.filter(order_id__in=known).exclude(
            pk__in=[sub["id"] for sub in keep]
        ).delete()


# Ids per query when looking numbers up by Telnyx's id: under SQLite's default limit of 32,766
# parameters a statement and PostgreSQL's 65,535.
_LOOKUP_CHUNK = 10_000


def _wanted_numbers(batch: list[OrderRows]) -> dict[UUID, tuple[OrderRows, dict]]:
    """The batch's numbers by Telnyx's id; raises TelnyxError when two of its orders list one."""
    wanted: dict[UUID, tuple[OrderRows, dict]] = {}
    for rows in batch:
        for telnyx_id, fields in rows.numbers.items():
            holder = wanted.setdefault(telnyx_id, (rows, fields))[0]
            if holder is not rows:
                raise _claimed(telnyx_id, holder=holder.order["id"], claimer=rows.order["id"])
    return wanted


def _cached_numbers(
    wanted: dict[UUID, tuple[OrderRows, dict]], *, known: list[UUID], writing: set[UUID]
) -> dict[UUID, dict]:
    """The cached rows of the numbers of the orders being written (`known`) and of the numbers
    they list, by Telnyx's id, in one query; raises TelnyxError when one of those is another
    order's: Telnyx gave one number id to two orders, and storing it would silently move it."""
    ids = list(wanted)
    cached = {}
    for start in range(0, len(ids) or 1, _LOOKUP_CHUNK):
        lookup = Q(telnyx_id__in=ids[start : start + _LOOKUP_CHUNK])
        if start == 0:
            lookup |= Q(order_id__in=known)
        for row in PhoneNumber.objects.filter(lookup).values("id", "telnyx_id", *_NUMBER_CONTENT):
            if row["order_id"] not in writing:
                claimer = wanted[row["telnyx_id"]][0].order["id"]
                raise _claimed(row["telnyx_id"], holder=row["order_id"], claimer=claimer)
            cached[row["telnyx_id"]] = row
    return cached


def _claimed(telnyx_id: UUID, *, holder: UUID, claimer: UUID) -> TelnyxError:
    return TelnyxError(
        "malformed",
        detail=f"phone number {telnyx_id} shows up under orders {holder} and {claimer}:"
        f" left with order {holder}",
    )


def _numbers_save(batch: list[OrderRows], synced_at: datetime, *, known: list[UUID]) -> None:
    """Writes the numbers that changed, deletes those that vanished. Raises TelnyxError for a
    number another order holds (see _cached_numbers)."""
    wanted = _wanted_numbers(batch)
    cached = _cached_numbers(wanted, known=known, writing={rows.order["id"] for rows in batch})
    changed = [
        {
            "telnyx_id": telnyx_id,
            **fields,
            "updated_at": rows.order["updated_at"],
            "synced_at": synced_at,
        }
        for telnyx_id, (rows, fields) in wanted.items()
        if _differs(cached.get(telnyx_id), fields)
    ]
    vanished = [row["id"] for telnyx_id, row in cached.items() if telnyx_id not in wanted]
    if vanished:
        PhoneNumber.objects.filter(pk__in=vanished).delete()
    upsert(PhoneNumber, changed, unique=("telnyx_id",))


def _values_save(batch: list[OrderRows], synced_at: datetime, *, known: list[UUID]) -> None:
    """Writes the requirement values that changed, deletes those that vanished; after the
    numbers, which the values name by Telnyx's id."""
    cached = {
        (row["phone_number__telnyx_id"], row["requirement_id"]): row
        for row in RequirementValue.objects.filter(phone_number__order_id__in=known).values(
            "id", "phone_number__telnyx_id", "requirement_id", *_VALUE_CONTENT
        )
    }
    wanted = {key: (rows, fields) for rows in batch for key, fields in rows.values.items()}
    changed = [
        {
            "phone_number__telnyx_id": telnyx_id,
            "requirement_id": requirement_id,
            **fields,
            "updated_at": rows.order["updated_at"],
            "synced_at": synced_at,
        }
        for (telnyx_id, requirement_id), (rows, fields) in wanted.items()
        if _differs(cached.get((telnyx_id, requirement_id)), fields)
    ]
    vanished = [row["id"] for key, row in cached.items() if key not in wanted]
    if vanished:
        RequirementValue.objects.filter(pk__in=vanished).delete()
    upsert(RequirementValue, changed, unique=("phone_number_id", "requirement_id"))


def orders_store(
    *, batch: list[OrderRows], synced_at: datetime
) -> list[tuple[Order | None, SyncOutcome]]:
    """order_store() for several orders (distinct ids) at once: one transaction, and the same
    few statements for a batch as for one order, which is what makes the sync fast. Returns
    each order's (order, outcome) in the batch's order; the order is None when it was written
    (the sync has no use for it: reading it back is order_store's job). Raises TelnyxError,
    having written nothing, when a number of the batch is another order's."""
    ids = [rows.order["id"] for rows in batch]
    with transaction.atomic():
        cached = Order.objects.select_for_update().in_bulk(ids)
        stale = {
            rows.order["id"]
            for rows in batch
            if rows.order["id"] in cached
            and cached[rows.order["id"]].updated_at > rows.order["updated_at"]
        }
        batch = [rows for rows in batch if rows.order["id"] not in stale]
        _definitions_save(batch, synced_at)
        unchanged = _unchanged(batch, cached)
        if unchanged:
            Order.objects.filter(pk__in=unchanged).update(synced_at=synced_at)
            # Back from gone: the same version, yet the page shows it differently.
            back = [order_id for order_id in unchanged if cached[order_id].gone_at]
            if back:
                Order.objects.filter(pk__in=back).update(gone_at=None, changed_at=synced_at)
            for order_id in unchanged:
                cached[order_id].synced_at, cached[order_id].gone_at = synced_at, None
        batch = [rows for rows in batch if rows.order["id"] not in unchanged]
        known = [rows.order["id"] for rows in batch if rows.order["id"] in cached]
        if batch:
            upsert(
                Order,
                [
                    {**rows.order, "synced_at": synced_at, "changed_at": synced_at, "gone_at": None}
                    for rows in batch
                ],
                unique=("id",),
            )
            _sub_orders_save(batch, synced_at, known=known)
            _numbers_save(batch, synced_at, known=known)
            _values_save(batch, synced_at, known=known)
    results = []
    for id_ in ids:
        if id_ in stale:
            results.append((cached[id_], SyncOutcome.STALE))
        elif id_ in unchanged:
            results.append((cached[id_], SyncOutcome.UNCHANGED))
        else:
            outcome = SyncOutcome.UPDATED if id_ in cached else SyncOutcome.CREATED
            results.append((None, outcome))
    return results


def order_store(
    *, bundle: OrderBundle, synced_at: datetime | None = None
) -> tuple[Order, SyncOutcome]:
    """Writes one fetched order into the cache in one transaction.

    Returns the order and a SyncOutcome: CREATED, UPDATED, UNCHANGED or STALE (Telnyx's
    `updated_at` is older than what we hold: nothing is written). Sub orders, numbers and
    requirement values missing from the bundle are deleted; numbers and values that did not
    change are not rewritten, and a large order costs the same few queries as a small one.
    Raises TelnyxError (kind "malformed"), having written nothing, for a bundle with a field the
    cache cannot hold (see telnyx_fields) or a number that is another order's.
    """
    with malformed(f"order {bundle.order.get('id')}"):
        rows = order_rows(bundle)
    ((order, outcome),) = orders_store(batch=[rows], synced_at=synced_at or timezone.now())
    return order or Order.objects.get(pk=rows.order["id"]), outcome


def known_requirement_ids() -> set[UUID]:
    """The requirements whose definitions the cache holds."""
    return set(RequirementDefinition.objects.values_list("id", flat=True))


def order_mark_gone(*, order_id: UUID | str) -> None:
    """Flags the cached order, if any, as gone: Telnyx answered 404 for it."""
    now = timezone.now()
    Order.objects.filter(pk=order_id, gone_at__isnull=True).update(gone_at=now, changed_at=now)
