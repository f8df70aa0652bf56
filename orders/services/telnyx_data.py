"""Reading Telnyx's JSON: the fetched order (OrderBundle) turned into the cache's rows."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from uuid import UUID

from orders.models import (
    REQUIREMENTS_CANCELLED,
    FieldType,
    Order,
    PhoneNumber,
    RequirementDefinition,
    RequirementValue,
    Status,
    SubOrder,
)
from orders.services.telnyx_fields import (
    FieldError,
    count,
    flag,
    identifier,
    integer_range,
    json_object,
    max_lengths,
    record,
    records,
    text,
    timestamp,
)
from orders.telnyx import TelnyxError

logger = logging.getLogger(__name__)


@dataclass
class OrderBundle:
    """What Telnyx said about one order, fetched without touching the database."""

    order: dict  # GET /number_orders/{id} data (full phone numbers with requirements)
    sub_orders: list[dict]
    definitions: list[dict]  # requirement definitions for requirement ids we did not know yet


@contextmanager
def malformed(what: str) -> Iterator[None]:
    """Data Telnyx sent that cannot be read is an upstream failure like any other. What Python
    said of it goes to the log: the error's text reaches pages."""
    try:
        yield
    except FieldError as error:
        raise TelnyxError("malformed", detail=f"{what}: {error}") from error
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        logger.warning("Telnyx's data unreadable: %s: %r", what, error)
        raise TelnyxError("malformed", detail=f"{what} could not be read") from error


def parse_timestamp(value: object) -> datetime | None:
    """Telnyx's ISO 8601 timestamp, aware; None when missing, unreadable or out of range."""
    try:
        return timestamp(value, "timestamp")
    except FieldError:
        return None


def as_text(value: object) -> str:
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
class OrderRows:
    """A bundle turned into model field values, before any database access."""

    order: dict
    sub_orders: dict[UUID, dict]
    numbers: dict[UUID, dict]  # by Telnyx's phone number id
    values: dict[tuple[UUID, UUID], dict]  # by (phone number telnyx id, requirement id)
    definitions: dict[UUID, dict]


# Requirement and sub order ids repeat on every number (Telnyx has a few hundred requirements):
# each text is parsed once, not once per value, which made UUID() a large part of reading an
# order.
shared_uuid = lru_cache(maxsize=4096)(UUID)


def _can_be_fixed(number: dict, sub_orders: dict[UUID, dict], order_status: str) -> bool:
    """Whether a number can still be given its requirements: it, its sub order and its order
    are pending, and it is not cancelled. Only those count as awaiting (a cancelled sub order's
    numbers are failures whose requirements will never be met), as in the queue's
    orders.selectors.queue_scope.needs_action()."""
    sub_order = sub_orders.get(number["sub_order_id"])
    return (
        order_status == Status.PENDING
        and number["status"] == Status.PENDING
        and number["requirements_status"] != REQUIREMENTS_CANCELLED
        and (sub_order is None or sub_order["status"] == Status.PENDING)
    )


_ORDER_TEXT = max_lengths(Order)
_SUB_ORDER_TEXT = max_lengths(SubOrder)
_NUMBER_TEXT = max_lengths(PhoneNumber)
_VALUE_TEXT = max_lengths(RequirementValue)
_DEFINITION_TEXT = max_lengths(RequirementDefinition)
_COUNT = integer_range(Order, "phone_numbers_count")
_SUB_ORDER_COUNT = integer_range(SubOrder, "phone_numbers_count")


def _sub_order_row(sub: object, created_at: datetime, updated_at: datetime) -> tuple[UUID, dict]:
    sub = record(sub, "")
    limit = _SUB_ORDER_TEXT
    return identifier(sub.get("id"), "id", shared_uuid), {
        "country_code": text(sub.get("country_code"), "country_code", limit["country_code"]),
        "phone_number_type": text(
            sub.get("phone_number_type"), "phone_number_type", limit["phone_number_type"]
        ),
        "status": text(sub.get("status"), "status", limit["status"], required=True),
        "requirements_met": flag(sub.get("requirements_met"), "requirements_met"),
        "phone_numbers_count": count(
            sub.get("phone_numbers_count"), "phone_numbers_count", _SUB_ORDER_COUNT
        ),
        "is_block_sub_number_order": flag(
            sub.get("is_block_sub_number_order"), "is_block_sub_number_order"
        ),
        "created_at": timestamp(sub.get("created_at"), "created_at") or created_at,
        "updated_at": timestamp(sub.get("updated_at"), "updated_at") or updated_at,
    }


def _values_of(number: dict, telnyx_id: UUID, values: dict[tuple[UUID, UUID], dict]) -> None:
    limit = _VALUE_TEXT["status"]
    requirements = records(number.get("regulatory_requirements"), "regulatory_requirements")
    index = 0
    # One try for the loop, not one per value: this runs for every value of every number.
    try:
        for index, requirement in enumerate(requirements):  # noqa: B007 (named on failure)
            get = record(requirement, "").get
            values[telnyx_id, identifier(get("requirement_id"), "requirement_id", shared_uuid)] = {
                "field_type": _field_type(text(get("field_type"), "field_type")),
                "field_value": text(get("field_value"), "field_value"),
                "status": text(get("status"), "status", limit),
            }
    except FieldError as error:
        raise error.at(f"regulatory_requirements[{index}]") from None


def _number_row(
    number: object,
    *,
    order_id: UUID,
    status: str,
    sub_orders: dict[UUID, dict],
    by_kind: dict[tuple[str, str], list[UUID]],
) -> tuple[UUID, dict]:
    number = record(number, "")
    limit = _NUMBER_TEXT
    telnyx_id = identifier(number.get("id"), "id")
    e164 = text(number.get("phone_number"), "phone_number", limit["phone_number"], required=True)
    country = text(
        number.get("country_code") or number.get("country_iso_alpha2"),
        "country_code",
        limit["country_code"],
    )
    kind = text(number.get("phone_number_type"), "phone_number_type", limit["phone_number_type"])
    sub_id = number.get("sub_number_order_id")
    sub_order_id = identifier(sub_id, "sub_number_order_id", shared_uuid) if sub_id else None
    if sub_order_id not in sub_orders:
        # The order's own number entries may not name their sub order; the sub orders
        # are split by country and number type, so that pair finds it.
        candidates = by_kind.get((country, kind), [])
        sub_order_id = candidates[0] if len(candidates) == 1 else None
    return telnyx_id, {
        "order_id": order_id,
        "sub_order_id": sub_order_id,
        "phone_number": e164,
        "digits": e164.lstrip("+"),
        "country_code": country,
        "phone_number_type": kind,
        "status": text(number.get("status"), "status", limit["status"]) or status,
        "requirements_met": flag(number.get("requirements_met"), "requirements_met"),
        "requirements_status": text(
            number.get("requirements_status"), "requirements_status", limit["requirements_status"]
        ),
        "deadline": timestamp(number.get("deadline"), "deadline"),
        "locality": text(number.get("locality"), "locality", limit["locality"]),
        "bundle_id": text(number.get("bundle_id"), "bundle_id", limit["bundle_id"]),
    }


def _definition_row(definition: object) -> tuple[UUID, dict]:
    definition = record(definition, "")
    return identifier(definition.get("id"), "id", shared_uuid), {
        "label": text(definition.get("label"), "label", _DEFINITION_TEXT["label"]),
        "description": text(definition.get("description"), "description"),
        "example": text(definition.get("example"), "example"),
        "field_type": _field_type(text(definition.get("field_type"), "field_type")),
        "acceptance_criteria": json_object(
            definition.get("acceptance_criteria"), "acceptance_criteria"
        ),
        "updated_at": timestamp(definition.get("updated_at"), "updated_at"),
    }


def order_rows(bundle: OrderBundle) -> OrderRows:
    """Reads every field strictly (see telnyx_fields): raises FieldError, naming the field, for
    the first one the cache could not hold, so that nothing of the order is stored."""
    data = record(bundle.order, "order")
    limit = _ORDER_TEXT
    order_id = identifier(data.get("id"), "id")
    created_at = timestamp(data.get("created_at"), "created_at", required=True)
    updated_at = timestamp(data.get("updated_at"), "updated_at", required=True)
    status = text(data.get("status"), "status", limit["status"], required=True)
    sub_orders = {}
    for index, sub in enumerate(bundle.sub_orders):
        try:
            sub_id, fields = _sub_order_row(sub, created_at, updated_at)
        except FieldError as error:
            raise error.at(f"sub_number_orders[{index}]") from None
        sub_orders[sub_id] = fields
    by_kind: dict[tuple[str, str], list[UUID]] = {}
    for sub_id, sub in sub_orders.items():
        by_kind.setdefault((sub["country_code"], sub["phone_number_type"]), []).append(sub_id)

    numbers: dict[UUID, dict] = {}
    values: dict[tuple[UUID, UUID], dict] = {}
    for index, number in enumerate(records(data.get("phone_numbers"), "phone_numbers")):
        try:
            telnyx_id, fields = _number_row(
                number, order_id=order_id, status=status, sub_orders=sub_orders, by_kind=by_kind
            )
            if telnyx_id in numbers:
                raise FieldError("id", f"repeats an earlier number's: {telnyx_id}")
            numbers[telnyx_id] = fields
            _values_of(number, telnyx_id, values)
        except FieldError as error:
            raise error.at(f"phone_numbers[{index}]") from None

    awaiting = [
        number
        for number in numbers.values()
        if not number["requirements_met"] and _can_be_fixed(number, sub_orders, status)
    ]
    order = {
        "id": order_id,
        "status": status,
        "customer_reference": text(
            data.get("customer_reference"), "customer_reference", limit["customer_reference"]
        ),
        "phone_numbers_count": count(
            data.get("phone_numbers_count"), "phone_numbers_count", _COUNT, default=len(numbers)
        ),
        "requirements_met": flag(data.get("requirements_met"), "requirements_met"),
        "billing_group_id": text(
            data.get("billing_group_id"), "billing_group_id", limit["billing_group_id"]
        ),
        "connection_id": text(data.get("connection_id"), "connection_id", limit["connection_id"]),
        "messaging_profile_id": text(
            data.get("messaging_profile_id"), "messaging_profile_id", limit["messaging_profile_id"]
        ),
        "countries": text(
            " ".join(sorted({n["country_code"] for n in numbers.values()} - {""})),
            "phone_numbers[].country_code (all of them)",
            limit["countries"],
        ),
        "numbers_awaiting": len(awaiting),
        "deadline": min((n["deadline"] for n in awaiting if n["deadline"]), default=None),
        "created_at": created_at,
        "updated_at": updated_at,
    }
    definitions = {}
    for index, definition in enumerate(bundle.definitions):
        try:
            definition_id, fields = _definition_row(definition)
        except FieldError as error:
            raise error.at(f"requirement definitions[{index}]") from None
        definitions[definition_id] = fields
    return OrderRows(order, sub_orders, numbers, values, definitions)
