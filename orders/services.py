"""Writes to the order cache: fetching orders from Telnyx, storing them, and the sync.

Fetching (network, no database) and storing (database, no network) are separate steps, so that
the sync can fetch several orders at once in worker threads while every write happens in the
calling thread, one short transaction per order.
"""

import itertools
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Set
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache, partial
from http import HTTPStatus
from operator import itemgetter
from queue import Empty, SimpleQueue
from uuid import UUID

import orjson
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, connection, transaction
from django.db.models import Field, Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from orders.locks import LockHeld, lease
from orders.models import (
    AuditEntry,
    FieldType,
    Order,
    PhoneNumber,
    RequirementDefinition,
    RequirementValue,
    Status,
    SubOrder,
    SyncRun,
)
from orders.telnyx import TelnyxClient, TelnyxError, get_client

logger = logging.getLogger(__name__)

# How many orders the listing yields per page, and so how many cached rows one query loads.
LIST_PAGE_SIZE = 250
# At most this many fetched-but-not-stored orders per worker: memory stays flat however many
# orders Telnyx lists, and the workers never wait for the listing.
WINDOW_PER_WORKER = 6
# The sync stores once this many orders per worker are fetched. A batch costs a commit and a few
# statements whatever its size, so storing each order as it comes cost SQLite 3 times the CPU of
# batches of 16. The rest of the window keeps every worker busy while a batch is stored: with
# half the window (4 per worker) they sat idle 4% of the time, waiting for the calling thread.
BATCH_PER_WORKER = 2
# SyncRun.error keeps the first few messages; the log has all of them.
MAX_ERRORS_KEPT = 5


@dataclass
class OrderBundle:
    """What Telnyx said about one order, fetched without touching the database."""

    order: dict  # GET /number_orders/{id} data (full phone numbers with requirements)
    sub_orders: list[dict]
    definitions: list[dict]  # requirement definitions for requirement ids we did not know yet


# --- reading Telnyx's data -------------------------------------------------------------------


@contextmanager
def _malformed(what: str) -> Iterator[None]:
    """Data Telnyx sent that cannot be read is an upstream failure like any other."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise TelnyxError("malformed", detail=f"{what}: {error!r}") from error


def _when(value: str | None) -> datetime | None:
    """Telnyx's ISO 8601 timestamp, aware; None when missing or unreadable."""
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed is None or timezone.is_aware(parsed):
        return parsed
    return timezone.make_aware(parsed, UTC)


def _required_when(data: dict, key: str) -> datetime:
    parsed = _when(data.get(key))
    if parsed is None:
        raise ValueError(f"{key} is not a timestamp: {data.get(key)!r}")
    return parsed


def _text(value: object) -> str:
    return "" if value is None else str(value)


# Telnyx sends e.g. "address_id" or "document_id" where the spec says "address" or "document".
_FIELD_TYPE_PREFIXES = (
    ("address", FieldType.ADDRESS),
    ("document", FieldType.DOCUMENT),
    ("date", FieldType.DATETIME),
)


@lru_cache(maxsize=64)
def _field_type(raw: str | None) -> str:
    raw = (raw or "").lower()
    for prefix, field_type in _FIELD_TYPE_PREFIXES:
        if raw.startswith(prefix):
            return field_type
    return FieldType.TEXTUAL


@dataclass
class _Rows:
    """A bundle turned into model field values, before any database access."""

    order: dict
    sub_orders: dict[UUID, dict]
    numbers: dict[UUID, dict]  # by Telnyx's phone number id
    values: dict[tuple[UUID, UUID], dict]  # by (phone number telnyx id, requirement id)
    definitions: dict[UUID, dict]


# Requirement and sub order ids repeat on every number (Telnyx has a few hundred requirements):
# each text is parsed once, where a UUID() per value was a fifth of reading an order.
_shared_uuid = lru_cache(maxsize=4096)(UUID)


def _rows(bundle: OrderBundle) -> _Rows:
    data = bundle.order
    order_id = UUID(data["id"])
    created_at = _required_when(data, "created_at")
    updated_at = _required_when(data, "updated_at")
    sub_orders = {
        UUID(sub["id"]): {
            "country_code": _text(sub.get("country_code")),
            "phone_number_type": _text(sub.get("phone_number_type")),
            "status": sub["status"],
            "requirements_met": bool(sub.get("requirements_met")),
            "phone_numbers_count": int(sub.get("phone_numbers_count") or 0),
            "is_block_sub_number_order": bool(sub.get("is_block_sub_number_order")),
            "created_at": _when(sub.get("created_at")) or created_at,
            "updated_at": _when(sub.get("updated_at")) or updated_at,
        }
        for sub in bundle.sub_orders
    }
    by_kind: dict[tuple[str, str], list[UUID]] = {}
    for sub_id, sub in sub_orders.items():
        by_kind.setdefault((sub["country_code"], sub["phone_number_type"]), []).append(sub_id)

    numbers: dict[UUID, dict] = {}
    values: dict[tuple[UUID, UUID], dict] = {}
    for number in data.get("phone_numbers") or []:
        telnyx_id = UUID(number["id"])
        e164 = number["phone_number"]
        country = _text(number.get("country_code") or number.get("country_iso_alpha2"))
        kind = _text(number.get("phone_number_type"))
        sub_id = number.get("sub_number_order_id")
        if sub_id and _shared_uuid(sub_id) in sub_orders:
            sub_order_id = _shared_uuid(sub_id)
        else:
            # The order's own number entries may not name their sub order; the sub orders
            # are split by country and number type, so that pair finds it.
            candidates = by_kind.get((country, kind), [])
            sub_order_id = candidates[0] if len(candidates) == 1 else None
        numbers[telnyx_id] = {
            "order_id": order_id,
            "sub_order_id": sub_order_id,
            "phone_number": e164,
            "digits": e164.lstrip("+"),
            "country_code": country,
            "phone_number_type": kind,
            "status": number.get("status") or data["status"],
            "requirements_met": bool(number.get("requirements_met")),
            "requirements_status": _text(number.get("requirements_status")),
            "deadline": _when(number.get("deadline")),
            "locality": _text(number.get("locality")),
            "bundle_id": _text(number.get("bundle_id")),
        }
        for requirement in number.get("regulatory_requirements") or []:
            values[telnyx_id, _shared_uuid(requirement["requirement_id"])] = {
                "field_type": _field_type(requirement.get("field_type")),
                "field_value": _text(requirement.get("field_value")),
                "status": _text(requirement.get("status")),
            }

    awaiting = [number for number in numbers.values() if not number["requirements_met"]]
    order = {
        "id": order_id,
        "status": data["status"],
        "customer_reference": _text(data.get("customer_reference")),
        "phone_numbers_count": int(data.get("phone_numbers_count") or len(numbers)),
        "requirements_met": bool(data.get("requirements_met")),
        "billing_group_id": _text(data.get("billing_group_id")),
        "connection_id": _text(data.get("connection_id")),
        "messaging_profile_id": _text(data.get("messaging_profile_id")),
        "countries": " ".join(sorted({n["country_code"] for n in numbers.values()} - {""})),
        "numbers_awaiting": len(awaiting),
        "deadline": min((n["deadline"] for n in awaiting if n["deadline"]), default=None),
        "created_at": created_at,
        "updated_at": updated_at,
    }
    definitions = {
        UUID(definition["id"]): {
            "label": _text(definition.get("label")),
            "description": _text(definition.get("description")),
            "example": _text(definition.get("example")),
            "field_type": _field_type(definition.get("field_type")),
            "acceptance_criteria": dict(definition.get("acceptance_criteria") or {}),
            "updated_at": _when(definition.get("updated_at")),
        }
        for definition in bundle.definitions
    }
    return _Rows(order, sub_orders, numbers, values, definitions)


# --- fetching ---------------------------------------------------------------------------------


@contextmanager
def _client_scope(client: TelnyxClient | None) -> Iterator[TelnyxClient]:
    """The caller's client, or a new one closed afterwards."""
    if client is not None:
        yield client
        return
    client = get_client()
    try:
        yield client
    finally:
        client.close()


def _requirement_ids(number: dict) -> set[UUID]:
    return {_shared_uuid(r["requirement_id"]) for r in number.get("regulatory_requirements") or []}


def _definitions_fetch(
    *, client: TelnyxClient | None, phone_numbers: list[dict], known: Set[UUID]
) -> list[dict]:
    """Definitions of the requirement ids not in `known`, asking about as few numbers as can be
    (and not at all, nor making a client, when every id is known).

    Numbers of one country and type share their requirements, so one number stands for every
    number whose unknown ids it already covers.
    """
    covered: set[UUID] = set()
    representatives = []
    for number in phone_numbers:
        unknown = _requirement_ids(number) - known
        if not unknown <= covered:
            representatives.append(number["phone_number"])
            covered |= unknown
    if not representatives:
        return []
    found: dict[UUID, dict] = {}
    with _client_scope(client) as telnyx:
        answer = telnyx.list_phone_number_requirements(representatives)
    for entry in answer:
        for requirement in entry.get("regulatory_requirements") or []:
            requirement_id = UUID(requirement["id"])
            if requirement_id in covered:
                found.setdefault(requirement_id, requirement)
    return list(found.values())


def order_fetch(
    *,
    client: TelnyxClient,
    order_id: str,
    known_requirement_ids: Set[UUID],
    order: dict | None = None,
) -> OrderBundle:
    """Everything the cache holds about one order, from Telnyx. Touches no database: the sync
    runs it in worker threads. `order`: the whole order as Telnyx answered a write with, which
    spares fetching it again."""
    if order is None:
        order = client.get_number_order(str(order_id))
    sub_orders = client.list_sub_number_orders(order_id=str(order_id))
    with _malformed(f"order {order_id}"):
        definitions = _definitions_fetch(
            client=client,
            phone_numbers=order.get("phone_numbers") or [],
            known=known_requirement_ids,
        )
    return OrderBundle(order=order, sub_orders=sub_orders, definitions=definitions)


# --- storing ----------------------------------------------------------------------------------

# What _rows() gives per number and per requirement value: compared with the cached row to skip
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


def _driver_form(field: Field) -> Callable[[object], object] | None:
    """How a value the sync writes goes into the statement, without the field machinery
    (which cost the sync more CPU than the database's own work); None when as it is. On
    SQLite what Field.get_db_prep_save gives; on PostgreSQL JSON that it reads back into the
    same value (see _upsert)."""
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    postgresql = connection.vendor == "postgresql"
    if kind in ("UUIDField", "DateTimeField") and postgresql:
        # orjson writes both, in C, as PostgreSQL reads them: str() and isoformat() in Python
        # were 6% of the sync's CPU.
        return None
    if kind == "UUIDField":
        # SQLite stores the 32 hex digits.
        return _hex
    if kind == "DateTimeField":
        # Most repeat (the order's updated_at on each of its rows): convert each one once.
        return cache(connection.ops.adapt_datetimefield_value)
    if kind in _DRIVER_NATIVE:
        return None
    return partial(field.get_db_prep_save, connection=connection)


def _is_text(field: Field) -> bool:
    return field.get_internal_type() in ("CharField", "TextField")


# Values _rows() already gives as the Python type the driver expects.
_DRIVER_NATIVE = {"CharField", "TextField", "BooleanField", "PositiveIntegerField", "IntegerField"}


def _hex(value: UUID | None) -> str | None:
    return None if value is None else value.hex


def _upsert(model: type[Model], rows: list[dict], *, unique: tuple[str, ...]) -> None:
    """INSERT ... ON CONFLICT (unique) DO UPDATE for `rows` (dicts by attname, all with the same
    keys). A key "<foreign key>__<field>" gives the foreign key by another unique field of the
    row it points to, which the database looks up (a requirement value names its number by
    Telnyx's id, not by a primary key the sync would first have to read back).

    bulk_create(update_conflicts=True) would do, but it puts every value of every row through
    the field machinery; here each column is converted in one pass (see _driver_form).
    """
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    names = list(rows[0])
    columns, converters, lookups = [], [], []
    for name in names:
        relation, _, key = name.partition("__")
        field = meta.get_field(relation)
        columns.append(quote(field.column))
        if key:
            remote = field.related_model._meta
            key_field = remote.get_field(key)
            lookups.append(
                f"(SELECT {quote(remote.pk.column)} FROM {quote(remote.db_table)} "
                f"WHERE {quote(key_field.column)} = {{}})"
            )
            field = key_field
        else:
            lookups.append("{}")
        converters.append((field, _driver_form(field)))
    conflict = [quote(meta.get_field(name).column) for name in unique]
    insert = f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "
    upsert = f" ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET " + ", ".join(
        f"{column} = EXCLUDED.{column}" for column in columns if column not in conflict
    )
    # A row holds its unique key and more: at least two names, so itemgetter gives tuples.
    by_column = list(zip(*map(itemgetter(*names), rows), strict=True))
    by_column = [
        column if convert is None else list(map(convert, column))
        for column, (_, convert) in zip(by_column, converters, strict=True)
    ]
    # The rows as a table with columns column1, column2...: what SQLite calls a VALUES list's.
    sources = [f"column{position}" for position in range(1, len(names) + 1)]
    select = ", ".join(
        lookup.format(source) for lookup, source in zip(lookups, sources, strict=True)
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Every row in one JSON parameter, which PostgreSQL takes apart in C: psycopg dumps
            # a VALUES list's parameters, or arrays, value by value in Python (2 ms an order).
            # Text is not cast, so that a value too long for its column fails as on insert.
            columns = ", ".join(
                f"(value->>{position})"
                + ("" if _is_text(field) else f"::{field.db_type(connection)}")
                + f" AS {source}"
                for position, ((field, _), source) in enumerate(
                    zip(converters, sources, strict=True)
                )
            )
            cursor.execute(
                f"{insert}SELECT {select} FROM (SELECT {columns} FROM json_array_elements(%s))"
                f" AS v{upsert}",
                [orjson.dumps(list(zip(*by_column, strict=True))).decode()],
            )
            return
        # Many rows a statement, not executemany's statement a row: every statement flushes
        # the FTS5 index that the phone numbers' trigger writes to (3.5 times the CPU for 18
        # numbers an order), and gives up and takes back the GIL. NULL rows pad each statement
        # to a power of two, which WHERE drops (a row's first key, its identity, is never
        # NULL): SQLite keeps every statement it prepared, and a dozen shapes serve every batch.
        width = len(names)
        row = f"({', '.join(['%s'] * width)})"
        limit = min(_SQLITE_MAX_ROWS, connection.features.max_query_params // width)
        limit = 1 << (limit.bit_length() - 1)
        values = list(zip(*by_column, strict=True))
        for start in range(0, len(values), limit):
            chunk = values[start : start + limit]
            size = 1 << (len(chunk) - 1).bit_length()
            cursor.execute(
                f"{insert}SELECT {select} FROM (VALUES {', '.join([row] * size)}) "
                f"WHERE column1 IS NOT NULL{upsert}",
                [*itertools.chain.from_iterable(chunk), *[None] * (width * (size - len(chunk)))],
            )


# The most rows in one SQLite statement.
_SQLITE_MAX_ROWS = 1024


def _differs(row: dict | None, fields: dict) -> bool:
    return row is None or any(row[name] != value for name, value in fields.items())


def _unchanged(batch: list[_Rows], cached: dict[UUID, Order]) -> set[UUID]:
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


def _definitions_save(batch: list[_Rows], synced_at: datetime) -> None:
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


def _sub_orders_save(batch: list[_Rows], synced_at: datetime, *, known: list[UUID]) -> None:
    """`known`: the orders we held before, the only ones that can have sub orders to drop."""
    keep = [
        {"id": id_, "order_id": rows.order["id"], **fields, "synced_at": synced_at}
        for rows in batch
        for id_, fields in rows.sub_orders.items()
    ]
    _upsert(SubOrder, keep, unique=("id",))
    if known:
        SubOrder.objects.filter(order_id__in=known).exclude(
            pk__in=[sub["id"] for sub in keep]
        ).delete()


def _numbers_save(batch: list[_Rows], synced_at: datetime, *, known: list[UUID]) -> None:
    """Writes the numbers that changed, deletes those that vanished."""
    cached = {
        row["telnyx_id"]: row
        for row in PhoneNumber.objects.filter(order_id__in=known).values(
            "id", "telnyx_id", *_NUMBER_CONTENT
        )
    }
    wanted = {
        telnyx_id: (rows, fields) for rows in batch for telnyx_id, fields in rows.numbers.items()
    }
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
    _upsert(PhoneNumber, changed, unique=("telnyx_id",))


def _values_save(batch: list[_Rows], synced_at: datetime, *, known: list[UUID]) -> None:
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
    _upsert(RequirementValue, changed, unique=("phone_number_id", "requirement_id"))


def _store(batch: list[_Rows], synced_at: datetime) -> list[tuple[Order | None, str]]:
    """order_store() for several orders (distinct ids) at once: one transaction, and the same
    few statements for a batch as for one order, which is what makes the sync fast. Returns
    each order's (order, outcome) in the batch's order; the order is None when it was written
    (the sync has no use for it: reading it back is order_store's job)."""
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
            _upsert(
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
            results.append((cached[id_], "stale"))
        elif id_ in unchanged:
            results.append((cached[id_], "unchanged"))
        else:
            results.append((None, "updated" if id_ in cached else "created"))
    return results


def order_store(*, bundle: OrderBundle, synced_at: datetime | None = None) -> tuple[Order, str]:
    """Writes one fetched order into the cache in one transaction.

    Returns the order and "created", "updated", "unchanged" or "stale" (Telnyx's `updated_at`
    is older than what we hold: nothing is written). Sub orders, numbers and requirement values
    missing from the bundle are deleted; numbers and values that did not change are not
    rewritten, and a large order costs the same few queries as a small one.
    """
    with _malformed(f"order {bundle.order.get('id')}"):
        rows = _rows(bundle)
    ((order, outcome),) = _store([rows], synced_at or timezone.now())
    return order or Order.objects.get(pk=rows.order["id"]), outcome


def _known_requirement_ids() -> set[UUID]:
    return set(RequirementDefinition.objects.values_list("id", flat=True))


def _mark_gone(order_id: UUID | str) -> None:
    now = timezone.now()
    Order.objects.filter(pk=order_id, gone_at__isnull=True).update(gone_at=now, changed_at=now)


def _refresh(*, order_id: UUID | str, client: TelnyxClient | None) -> tuple[Order, str]:
    known = _known_requirement_ids()
    with _client_scope(client) as telnyx:
        try:
            bundle = order_fetch(client=telnyx, order_id=str(order_id), known_requirement_ids=known)
        except TelnyxError as error:
            if error.status == 404:
                _mark_gone(order_id)
            raise
    return order_store(bundle=bundle)


def order_refresh(*, order_id: UUID | str, client: TelnyxClient | None = None) -> Order:
    """Fetches one order from Telnyx and stores it. When Telnyx answers 404 the cached order
    (if any) is marked gone and the TelnyxError raised; finding it again clears the mark."""
    return _refresh(order_id=order_id, client=client)[0]


def _has_full_numbers(payload: dict) -> bool:
    """Every number with its requirements: storing it cannot drop what the payload left out."""
    return isinstance(payload.get("phone_numbers"), list) and all(
        "regulatory_requirements" in number and "requirements_met" in number
        for number in payload["phone_numbers"]
    )


def _sub_orders_named(payload: dict) -> set[UUID]:
    named = {UUID(sub_id) for sub_id in payload.get("sub_number_orders_ids") or []}
    return named | {
        UUID(number["sub_number_order_id"])
        for number in payload.get("phone_numbers") or []
        if number.get("sub_number_order_id")
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
    *, payload: dict, client: TelnyxClient | None = None
) -> tuple[Order | None, str]:
    """Applies an order Telnyx pushed (a webhook's payload) to the cache.

    Returns the order and what happened: "stale" (older than what we hold) or "unchanged"
    (the version we hold) change nothing and ask Telnyx nothing; "created" / "updated" when the
    payload was complete enough to store as it is (full phone numbers with their requirements,
    sub orders we hold); "refreshed" when the order had to be fetched from Telnyx instead.
    A failed fetch raises TelnyxError (after marking the order gone on a 404), and so does a
    payload that cannot be read (kind "malformed").
    """
    with _malformed("webhook payload"):
        order_id = UUID(payload["id"])
        updated_at = _when(payload.get("updated_at"))
        status = payload["status"]
        named = _sub_orders_named(payload)
        full = _has_full_numbers(payload)
    cached = Order.objects.filter(pk=order_id).first()
    if cached is not None and updated_at is not None and updated_at <= cached.updated_at:
        return cached, "stale" if updated_at < cached.updated_at else "unchanged"
    sub_orders = _cached_sub_orders(order_id, named=named, status=status) if full else None
    if sub_orders is None:
        return _refresh(order_id=order_id, client=client)[0], "refreshed"
    known = _known_requirement_ids()
    with _malformed(f"order {order_id}"):
        definitions = _definitions_fetch(
            client=client, phone_numbers=payload["phone_numbers"], known=known
        )
    return order_store(
        bundle=OrderBundle(order=payload, sub_orders=sub_orders, definitions=definitions)
    )


# --- the sync ---------------------------------------------------------------------------------


def _needs_refresh(listed: dict, cached: tuple[datetime, str, datetime | None] | None) -> bool:
    """New, changed since we stored it, still pending (requirements and numbers move without
    the listing telling), or marked gone: fetch it. Anything else is as we hold it."""
    if cached is None:
        return True
    updated_at, status, gone_at = cached
    listed_at = _when(listed.get("updated_at"))
    return (
        listed_at is None
        or listed_at > updated_at
        or listed.get("status", status) == Status.PENDING
        or gone_at is not None
    )


class _Sync:
    """One sync run: walks the listing in the calling thread, fetches in a bounded pool of worker
    threads (one Telnyx client each), stores every result in the calling thread."""

    def __init__(
        self,
        *,
        run: SyncRun,
        workers: int,
        progress: Callable[[int, int | None], None] | None,
    ) -> None:
        self.run = run
        self.workers = workers
        self.window = workers * WINDOW_PER_WORKER
        self.batch = workers * BATCH_PER_WORKER
        self.progress = progress
        self.total: int | None = None
        self.done = 0
        self.errors: list[str] = []
        # Replaced, never changed: each fetch is handed the set as it was, without a copy.
        self.known = frozenset(_known_requirement_ids())
        self.in_flight: set[UUID] = set()
        self.finished: SimpleQueue[tuple[UUID, Future[_Rows]]] = SimpleQueue()
        self._local = threading.local()
        self._clients: list[TelnyxClient] = []
        self._clients_lock = threading.Lock()

    def execute(self, *, since: datetime | None, order_id: str | None) -> None:
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="telnyx-sync")
        try:
            with _client_scope(None) as lister:
                if order_id:
                    # Listed without a version, so it is always refetched.
                    self.total = 1
                    listing: Iterable[dict] = [{"id": order_id}]
                else:
                    listing = lister.list_number_orders(
                        created_after=since, page_size=LIST_PAGE_SIZE
                    )
                self._walk(listing, pool)
        except BaseException as error:
            self._note(f"sync aborted: {error!r}")
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            for client in self._clients:
                client.close()
            self.run.error = self._error_text()
            self.run.finished_at = timezone.now()
            self.run.save()

    def _walk(self, listing: Iterable[dict], pool: ThreadPoolExecutor) -> None:
        for page in self._pages(listing):
            ids = {}
            for listed in page:
                self.run.seen += 1
                try:
                    order_id = UUID(str(listed["id"]))
                except (KeyError, ValueError) as error:
                    self._failed(str(listed.get("id")), f"listed without a usable id ({error})")
                    continue
                if order_id in ids or order_id in self.in_flight:
                    # Listed twice: orders created meanwhile shift Telnyx's pages.
                    self._counted("unchanged")
                else:
                    ids[order_id] = listed
            cached = {
                id_: rest
                for id_, *rest in Order.objects.filter(pk__in=list(ids)).values_list(
                    "id", "updated_at", "status", "gone_at"
                )
            }
            for id_, listed in ids.items():
                if _needs_refresh(listed, cached.get(id_)):
                    future = pool.submit(self._fetch, str(id_), self.known)
                    self.in_flight.add(id_)
                    future.add_done_callback(partial(self._done, id_))
                    if len(self.in_flight) >= self.window:
                        self._collect(at_least=self.batch)
                else:
                    self._counted("unchanged")
        while self.in_flight:
            self._collect(at_least=self.batch)

    def _pages(self, listing: Iterable[dict]) -> Iterator[tuple[dict, ...]]:
        try:
            yield from itertools.batched(listing, LIST_PAGE_SIZE)
        except TelnyxError as error:
            # No more orders to walk; those already listed are still stored.
            logger.warning("sync: listing orders failed: %s", error)
            self._note(f"listing orders stopped: {error}")

    def _fetch(self, order_id: str, known: frozenset[UUID]) -> _Rows:
        """Runs in a worker thread: network, and reading the answer, but no database. The
        reading overlaps with the calling thread's writes, which release the GIL."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = get_client()
            with self._clients_lock:
                self._clients.append(client)
        bundle = order_fetch(client=client, order_id=order_id, known_requirement_ids=known)
        with _malformed(f"order {order_id}"):
            return _rows(bundle)

    def _done(self, order_id: UUID, future: Future[_Rows]) -> None:
        self.finished.put((order_id, future))

    def _collect(self, *, at_least: int) -> None:
        """Waits for `at_least` fetches (or all there are) to finish, then stores every one
        finished by now, together."""
        finished = [self.finished.get() for _ in range(min(at_least, len(self.in_flight)))]
        with suppress(Empty):
            while True:
                finished.append(self.finished.get_nowait())
        batch = []
        for id_, future in finished:
            self.in_flight.remove(id_)
            order_id = str(id_)
            try:
                batch.append((order_id, future.result()))
            except TelnyxError as error:
                if error.status == 404:
                    _mark_gone(order_id)
                self._failed(order_id, str(error))
        self._store(batch)

    def _store(self, batch: list[tuple[str, _Rows]]) -> None:
        if not batch:
            return
        try:
            outcomes = _store([rows for _, rows in batch], timezone.now())
        except DatabaseError as error:
            if len(batch) > 1:
                # One order the database refuses (a value too long, say) must not cost the
                # others: store them one by one to find it.
                for item in batch:
                    self._store([item])
                return
            logger.exception("sync: storing order %s failed", batch[0][0])
            self._failed(batch[0][0], f"not stored: {error}")
            return
        for (_, rows), (_, outcome) in zip(batch, outcomes, strict=True):
            if rows.definitions:
                self.known = self.known.union(rows.definitions)
            self._counted(outcome)

    def _counted(self, outcome: str) -> None:
        if outcome == "created":
            self.run.created += 1
        elif outcome == "updated":
            self.run.updated += 1
        else:
            self.run.unchanged += 1
        self._advance()

    def _advance(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)

    def _failed(self, order_id: str, message: str) -> None:
        self.run.failed += 1
        logger.warning("sync: order %s failed: %s", order_id, message)
        self._note(f"order {order_id}: {message}")
        self._advance()

    def _note(self, message: str) -> None:
        self.errors.append(message)

    def _error_text(self) -> str:
        kept = self.errors[:MAX_ERRORS_KEPT]
        if len(self.errors) > MAX_ERRORS_KEPT:
            kept.append(f"... and {len(self.errors) - MAX_ERRORS_KEPT} more (see the log)")
        return "\n".join(kept)


# The lease that keeps two syncs, from wherever they were started, from running at once.
SYNC_LOCK = "sync"


def orders_sync(
    *,
    since: datetime | None = None,
    order_id: str | None = None,
    concurrency: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> SyncRun:
    """Brings the cache in step with Telnyx and records the run as a SyncRun.

    Walks every order created after `since` (or just `order_id`) and refetches those that are
    new, changed or still pending, `concurrency` at a time (TELNYX_SYNC_CONCURRENCY by default).
    An order that cannot be fetched or stored counts as failed and the sync goes on.
    `progress(done, total)` is called after each order; total is None when not known upfront.

    Raises orders.locks.LockHeld, having done nothing, while another sync is running, and
    LockLost (the run recorded as aborted) if this one stalled so long that another took over.
    """
    with lease(SYNC_LOCK) as held:

        def step(done: int, total: int | None) -> None:
            held.keep_alive()
            if progress is not None:
                progress(done, total)

        run = SyncRun.objects.create(started_at=timezone.now())
        sync = _Sync(
            run=run, workers=concurrency or settings.TELNYX_SYNC_CONCURRENCY, progress=step
        )
        sync.execute(since=since, order_id=order_id)
    logger.info(
        "sync: seen %d, created %d, updated %d, unchanged %d, failed %d",
        run.seen,
        run.created,
        run.updated,
        run.unchanged,
        run.failed,
    )
    return run


# --- actions through the dashboard: update, cancel, refresh, each audited --------------------

# A double submit of a cancel finds the first one's lease and is refused; a crashed request
# frees the sub order after this long.
CANCEL_LEASE = timedelta(minutes=2)
_REQUIREMENT_POINTER = re.compile(r"/regulatory_requirements/(\d+)(?:/.*)?")


class ActionFailed(Exception):
    """An update, cancel or refresh that did not happen; `message` tells the person who tried
    why. Its audit entry is written, and the cache is as it was, except that an order Telnyx
    answered 404 for is marked gone."""

    def __init__(
        self,
        message: str,
        *,
        entry: AuditEntry,
        error: TelnyxError | None = None,
        problems: dict[UUID | str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.entry = entry
        self.error = error
        # Telnyx's refusals by what they name: a requirement id, or "customer_reference".
        self.problems = problems or {}

    @property
    def retryable(self) -> bool:
        """Trying again may work: Telnyx was not reached, failed or was busy, or its answer
        could not be read."""
        return self.error is not None and (self.error.retryable or self.error.kind == "malformed")


@dataclass
class ActionDone:
    entry: AuditEntry
    order: Order  # as cached after the action
    # False when Telnyx did it but the order could not be fetched or stored afterwards: the
    # cache shows the change after the next refresh.
    stored: bool = True


def _sources(error: TelnyxError) -> Iterator[tuple[str | None, str]]:
    """(source pointer or parameter, Telnyx's words) for every error Telnyx sent."""
    for item in error.errors:
        source = item.get("source") if isinstance(item.get("source"), dict) else {}
        where = source.get("pointer") or source.get("parameter")
        yield where, str(item.get("detail") or item.get("title") or "")


def _error_detail(error: TelnyxError) -> str:
    if not error.errors:
        return str(error)
    return "; ".join(f"{where}: {text}" if where else text for where, text in _sources(error))


def _audit(
    *,
    user: AbstractBaseUser,
    outcome: str,
    error: TelnyxError | None = None,
    **fields: object,
) -> AuditEntry:
    """Appends the audit entry of one attempt. Written in autocommit, apart from order_store's
    transaction, so a failed attempt's entry is kept (the action views are non-atomic)."""
    if error is not None:
        fields |= {
            "http_status": error.status,
            "telnyx_code": error.code or "",
            "telnyx_detail": _error_detail(error),
        }
    elif outcome == AuditEntry.Outcome.SUCCESS:
        fields["http_status"] = HTTPStatus.OK
    return AuditEntry.objects.create(
        user=user, username=user.get_username(), outcome=outcome, **fields
    )


def _outcome(error: TelnyxError) -> str:
    if error.status == HTTPStatus.NOT_FOUND:
        return AuditEntry.Outcome.GONE
    if error.status is not None and 400 <= error.status < 500 and not error.retryable:
        return AuditEntry.Outcome.REFUSED
    return AuditEntry.Outcome.FAILED


def _failure_message(error: TelnyxError, *, subject: str) -> str:
    """What to tell the person whose action on an "order" or "sub order" (`subject`) failed."""
    if error.status == HTTPStatus.NOT_FOUND:
        return f"Telnyx no longer knows this {subject} (HTTP 404), so nothing was changed."
    if error.status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
        return (
            f"Telnyx refused the dashboard's credentials (HTTP {error.status}), so nothing was "
            "changed. An administrator must check the Telnyx API key."
        )
    if error.retryable:
        return f"{error} Nothing was changed; try again in a moment."
    if error.kind == "malformed":
        return f"{error} Nothing was changed here; refresh the order to see what Telnyx holds."
    return (
        f"Telnyx refused it (HTTP {error.status}): {(error.detail or error.title).rstrip('.')}. "
        "Nothing was changed."
    )


def _request(method: str, path: str, body: dict | None = None) -> dict:
    """What was sent, for the audit: the request line and body (the key is in a header)."""
    return {"method": method, "path": path, **({"body": body} if body is not None else {})}


def _one_or_all(values: set[str]) -> str | list[str]:
    return next(iter(values)) if len(values) == 1 else sorted(values)


def _values(pairs: Iterable[tuple[object, str]]) -> dict[str, str | list[str]]:
    """Requirement id -> its value on the numbers, or their sorted values when they differ."""
    found: dict[str, set[str]] = {}
    for requirement_id, value in pairs:
        found.setdefault(str(requirement_id), set()).add(value)
    return {requirement_id: _one_or_all(values) for requirement_id, values in found.items()}


def _cached_values(order: Order, requirement_ids: list[UUID]) -> dict[str, str | list[str]]:
    rows = (
        RequirementValue.objects.filter(
            phone_number__order_id=order.pk, requirement_id__in=requirement_ids
        )
        .exclude(phone_number__requirements_status="cancelled")
        .values_list("requirement_id", "field_value")
    )
    return _values(rows)


def _answered_values(answer: dict, requirement_ids: list[UUID]) -> dict[str, str | list[str]]:
    wanted = {str(requirement_id) for requirement_id in requirement_ids}
    return _values(
        (item.get("requirement_id"), _text(item.get("field_value")))
        for number in answer.get("phone_numbers") or []
        if number.get("requirements_status") != "cancelled"
        for item in number.get("regulatory_requirements") or []
        if item.get("requirement_id") in wanted
    )


def _problems(error: TelnyxError, sent: list[UUID]) -> dict[UUID | str, list[str]]:
    """Telnyx's refusals by what their pointer names: `/customer_reference`, or
    `/regulatory_requirements/<i>/...`, the i-th requirement sent."""
    problems: dict[UUID | str, list[str]] = {}
    for pointer, text in _sources(error):
        key: UUID | str | None = None
        if pointer == "/customer_reference":
            key = "customer_reference"
        elif (match := _REQUIREMENT_POINTER.fullmatch(pointer or "")) and int(match[1]) < len(sent):
            key = sent[int(match[1])]
        if key is not None:
            problems.setdefault(key, []).append(text or "Refused by Telnyx.")
    return problems


def _recache(*, client: TelnyxClient, order_id: UUID, answer: dict | None = None) -> Order | None:
    """Caches an order after a write at Telnyx, from `answer` when it is the whole order, with
    its sub orders fetched again. None when that fails: Telnyx has made the change, and the
    cache catches up at the next refresh or sync."""
    try:
        bundle = order_fetch(
            client=client,
            order_id=str(order_id),
            known_requirement_ids=_known_requirement_ids(),
            order=answer,
        )
        return order_store(bundle=bundle)[0]
    except (TelnyxError, DatabaseError) as error:
        logger.warning("order %s: caching it after a write failed: %s", order_id, error)
        return None


def order_update(
    *,
    order: Order,
    user: AbstractBaseUser,
    customer_reference: str | None = None,
    changes: Mapping[UUID, str],
    client: TelnyxClient | None = None,
) -> ActionDone:
    """Sends a new customer reference (None: unchanged) and requirement values (requirement
    id -> value; only these are sent) to Telnyx, then caches the order as Telnyx answered.

    Raises ActionFailed when Telnyx refuses, its `problems` placed on what they name, or cannot
    be reached. The cache is left as it was then, except that a 404 marks the order gone.
    """
    sent = list(changes)
    requirements = [
        {"requirement_id": str(requirement_id), "field_value": value}
        for requirement_id, value in changes.items()
    ]
    body: dict = {} if customer_reference is None else {"customer_reference": customer_reference}
    if requirements:
        body["regulatory_requirements"] = requirements
    before = _cached_values(order, sent)
    if customer_reference is not None:
        before["customer_reference"] = order.customer_reference
    record = partial(
        _audit,
        user=user,
        action=AuditEntry.Action.UPDATE,
        order_id=order.pk,
        sent=_request("PATCH", f"/number_orders/{order.pk}", body),
        before=before,
    )
    with _client_scope(client) as telnyx:
        try:
            answer = telnyx.update_number_order(
                str(order.pk),
                customer_reference=customer_reference,
                regulatory_requirements=requirements or None,
            )
        except TelnyxError as error:
            if error.status == HTTPStatus.NOT_FOUND:
                _mark_gone(order.pk)
            entry = record(outcome=_outcome(error), error=error)
            problems = _problems(error, sent)
            message = (
                "Telnyx refused the values marked below, so nothing was changed."
                if problems
                else _failure_message(error, subject="order")
            )
            raise ActionFailed(message, entry=entry, error=error, problems=problems) from error
        stored = _recache(client=telnyx, order_id=order.pk, answer=answer)
    after = _answered_values(answer, sent)
    if customer_reference is not None:
        after["customer_reference"] = _text(answer.get("customer_reference"))
    entry = record(outcome=AuditEntry.Outcome.SUCCESS, after=after)
    return ActionDone(entry=entry, order=stored or order, stored=stored is not None)


def sub_order_cancel(
    *,
    sub_order: SubOrder,
    user: AbstractBaseUser,
    reason: str,
    client: TelnyxClient | None = None,
) -> ActionDone:
    """Cancels a pending sub order at Telnyx (its numbers are dropped), then caches its order
    again. `reason` goes into the audit entry.

    Refused without asking Telnyx (outcome "forbidden") when the cached sub order is not
    pending, or while another cancel of it is under way (a double submit). Raises ActionFailed
    then, and when Telnyx refuses or cannot be reached.
    """
    path = f"/sub_number_orders/{sub_order.pk}/cancel"
    record = partial(
        _audit,
        user=user,
        action=AuditEntry.Action.CANCEL,
        order_id=sub_order.order_id,
        sub_order_id=sub_order.pk,
        reason=reason,
        sent=_request("PATCH", path),
        before={
            "status": sub_order.status,
            "phone_numbers": list(sub_order.phone_numbers.values_list("phone_number", flat=True)),
        },
    )
    if sub_order.status != Status.PENDING:
        entry = record(outcome=AuditEntry.Outcome.FORBIDDEN)
        raise ActionFailed(
            f"This sub order is {sub_order.status}, not pending: only pending sub orders can be "
            "cancelled. Nothing was sent to Telnyx.",
            entry=entry,
        )
    try:
        with (
            lease(f"cancel {sub_order.pk}", duration=CANCEL_LEASE),
            _client_scope(client) as telnyx,
        ):
            try:
                answer = telnyx.cancel_sub_number_order(str(sub_order.pk))
            except TelnyxError as error:
                entry = record(outcome=_outcome(error), error=error)
                message = _failure_message(error, subject="sub order")
                raise ActionFailed(message, entry=entry, error=error) from error
            stored = _recache(client=telnyx, order_id=sub_order.order_id)
    except LockHeld:
        entry = record(outcome=AuditEntry.Outcome.FORBIDDEN)
        raise ActionFailed(
            "This sub order is being cancelled already (by another request), so this one was "
            "not sent to Telnyx.",
            entry=entry,
        ) from None
    entry = record(
        outcome=AuditEntry.Outcome.SUCCESS, after={"status": _text(answer.get("status"))}
    )
    return ActionDone(entry=entry, order=stored or sub_order.order, stored=stored is not None)


def _order_facts(order: Order) -> dict:
    return {
        "status": order.status,
        "customer_reference": order.customer_reference,
        "requirements_met": order.requirements_met,
        "numbers_awaiting": order.numbers_awaiting,
        "updated_at": order.updated_at.isoformat(),
    }


def order_refresh_by(
    *, order: Order, user: AbstractBaseUser, client: TelnyxClient | None = None
) -> ActionDone:
    """order_refresh() asked for by someone: audited, and failures raised as ActionFailed
    (a 404 marks the order gone)."""
    record = partial(
        _audit,
        user=user,
        action=AuditEntry.Action.REFRESH,
        order_id=order.pk,
        sent=_request("GET", f"/number_orders/{order.pk}"),
        before=_order_facts(order),
    )
    try:
        refreshed = order_refresh(order_id=order.pk, client=client)
    except TelnyxError as error:
        entry = record(outcome=_outcome(error), error=error)
        raise ActionFailed(
            _failure_message(error, subject="order"), entry=entry, error=error
        ) from error
    except DatabaseError as error:
        logger.exception("order %s: storing the refreshed order failed", order.pk)
        entry = record(outcome=AuditEntry.Outcome.FAILED, telnyx_detail=f"not stored: {error}")
        raise ActionFailed(
            "Telnyx answered, but the order could not be stored. Nothing was changed; try again.",
            entry=entry,
        ) from error
    entry = record(outcome=AuditEntry.Outcome.SUCCESS, after=_order_facts(refreshed))
    return ActionDone(entry=entry, order=refreshed)
