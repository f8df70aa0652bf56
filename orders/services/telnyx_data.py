"""Reading Telnyx's JSON: the fetched order (OrderBundle) turned into the cache's rows."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from uuid import UUID

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from orders.models import FieldType
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
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        logger.warning("Telnyx's data unreadable: %s: %r", what, error)
        raise TelnyxError("malformed", detail=f"{what} could not be read") from error


def parse_timestamp(value: str | None) -> datetime | None:
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


def _required_timestamp(data: dict, key: str) -> datetime:
    parsed = parse_timestamp(data.get(key))
    if parsed is None:
        raise ValueError(f"{key} is not a timestamp: {data.get(key)!r}")
    return parsed


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


def order_rows(bundle: OrderBundle) -> OrderRows:
    data = bundle.order
    order_id = UUID(data["id"])
    created_at = _required_timestamp(data, "created_at")
    updated_at = _required_timestamp(data, "updated_at")
    sub_orders = {
        UUID(sub["id"]): {
            "country_code": as_text(sub.get("country_code")),
            "phone_number_type": as_text(sub.get("phone_number_type")),
            "status": sub["status"],
            "requirements_met": bool(sub.get("requirements_met")),
            "phone_numbers_count": int(sub.get("phone_numbers_count") or 0),
            "is_block_sub_number_order": bool(sub.get("is_block_sub_number_order")),
            "created_at": parse_timestamp(sub.get("created_at")) or created_at,
            "updated_at": parse_timestamp(sub.get("updated_at")) or updated_at,
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
        country = as_text(number.get("country_code") or number.get("country_iso_alpha2"))
        kind = as_text(number.get("phone_number_type"))
        sub_id = number.get("sub_number_order_id")
        if sub_id and shared_uuid(sub_id) in sub_orders:
            sub_order_id = shared_uuid(sub_id)
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
            "requirements_status": as_text(number.get("requirements_status")),
            "deadline": parse_timestamp(number.get("deadline")),
            "locality": as_text(number.get("locality")),
            "bundle_id": as_text(number.get("bundle_id")),
        }
        for requirement in number.get("regulatory_requirements") or []:
            values[telnyx_id, shared_uuid(requirement["requirement_id"])] = {
                "field_type": _field_type(requirement.get("field_type")),
                "field_value": as_text(requirement.get("field_value")),
                "status": as_text(requirement.get("status")),
            }

    awaiting = [number for number in numbers.values() if not number["requirements_met"]]
    order = {
        "id": order_id,
        "status": data["status"],
        "customer_reference": as_text(data.get("customer_reference")),
        "phone_numbers_count": int(data.get("phone_numbers_count") or len(numbers)),
        "requirements_met": bool(data.get("requirements_met")),
        "billing_group_id": as_text(data.get("billing_group_id")),
        "connection_id": as_text(data.get("connection_id")),
        "messaging_profile_id": as_text(data.get("messaging_profile_id")),
        "countries": " ".join(sorted({n["country_code"] for n in numbers.values()} - {""})),
        "numbers_awaiting": len(awaiting),
        "deadline": min((n["deadline"] for n in awaiting if n["deadline"]), default=None),
        "created_at": created_at,
        "updated_at": updated_at,
    }
    definitions = {
        UUID(definition["id"]): {
            "label": as_text(definition.get("label")),
            "description": as_text(definition.get("description")),
            "example": as_text(definition.get("example")),
            "field_type": _field_type(definition.get("field_type")),
            "acceptance_criteria": dict(definition.get("acceptance_criteria") or {}),
            "updated_at": parse_timestamp(definition.get("updated_at")),
        }
        for definition in bundle.definitions
    }
    return OrderRows(order, sub_orders, numbers, values, definitions)
