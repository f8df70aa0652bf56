"""order_store: writing what Telnyx said about one order into the cache, without the network."""

import uuid
from datetime import UTC, datetime

import pytest

from orders.models import (
    FieldType,
    Order,
    PhoneNumber,
    RequirementDefinition,
    RequirementValue,
    SubOrder,
)
from orders.services.store import SyncOutcome, order_store
from orders.services.telnyx_data import OrderBundle
from orders.telnyx import TelnyxError

pytestmark = pytest.mark.django_db

ORDER_ID = "12ade33a-21c0-473b-b055-b3c836e1c292"
CH_LOCAL = "5b8e4b1c-0d5e-4c43-9b1b-2c0a8f0f3a01"
DE_MOBILE = "5b8e4b1c-0d5e-4c43-9b1b-2c0a8f0f3a02"
REGISTRATION = "2708e569-696a-4fc7-9305-5fdb3eb9c7dd"  # textual
ADDRESS = "8ffb3622-7c6b-4ccc-b65f-7a3dc0099576"  # address_id
DOCUMENT = "3b6bc1a0-51c4-4a6f-9e2a-3d3c6f0b1c11"
SIGNED_ON = "3b6bc1a0-51c4-4a6f-9e2a-3d3c6f0b1c12"
T0 = "2026-11-20T10:00:00.000000Z"
T1 = "2026-11-20T11:00:00.000000Z"


def when(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def number(
    index: int,
    *,
    country: str = "CH",
    kind: str = "local",
    met: bool = False,
    deadline: str | None = "2026-11-22T10:00:00Z",
    registration: str = "",
    address: str | None = None,
    sub_order_id: str | None = None,
) -> dict:
    """A full phone number entry as GET /number_orders/{id} answers it."""
    requirements = [
        {
            "requirement_id": REGISTRATION,
            "field_type": "textual",
            "field_value": registration,
            "status": "approved" if registration else "",
            "record_type": "phone_number_regulatory_requirement",
        }
    ]
    if address is not None:
        requirements.append(
            {"requirement_id": ADDRESS, "field_type": "address_id", "field_value": address}
        )
    entry = {
        "id": str(uuid.UUID(int=index + 1)),
        "record_type": "number_order_phone_number",
        "phone_number": f"+{41215470000 + index}",
        "country_code": country,
        "phone_number_type": kind,
        "status": "pending",
        "requirements_met": met,
        "requirements_status": "approved" if met else "requirement-info-pending",
        "deadline": deadline,
        "locality": "Lausanne",
        "bundle_id": None,
        "regulatory_requirements": requirements,
    }
    if sub_order_id:
        entry["sub_number_order_id"] = sub_order_id
    return entry


def sub_order(sub_id: str, country: str, kind: str, *, updated_at: str = T0) -> dict:
    return {
        "id": sub_id,
        "record_type": "sub_number_order",
        "order_request_id": ORDER_ID,
        "country_code": country,
        "phone_number_type": kind,
        "status": "pending",
        "requirements_met": False,
        "phone_numbers_count": 1,
        "is_block_sub_number_order": False,
        "created_at": T0,
        "updated_at": updated_at,
    }


def bundle(
    numbers: list[dict],
    *,
    updated_at: str = T0,
    reference: str = "REF-001",
    sub_orders: list[dict] | None = None,
    definitions: list[dict] | None = None,
) -> OrderBundle:
    return OrderBundle(
        order={
            "id": ORDER_ID,
            "record_type": "number_order",
            "status": "pending",
            "customer_reference": reference,
            "phone_numbers_count": len(numbers),
            "requirements_met": all(n["requirements_met"] for n in numbers),
            "billing_group_id": None,
            "connection_id": "346789098765567",
            "messaging_profile_id": None,
            "created_at": "2026-11-19T09:00:00.000000Z",
            "updated_at": updated_at,
            "phone_numbers": numbers,
            "sub_number_orders_ids": [s["id"] for s in sub_orders or []],
        },
        sub_orders=[sub_order(CH_LOCAL, "CH", "local")] if sub_orders is None else sub_orders,
        definitions=definitions or [],
    )


def definition(requirement_id: str, field_type: str, label: str = "Label") -> dict:
    """One requirement as /phone_numbers_regulatory_requirements describes it."""
    return {
        "id": requirement_id,
        "record_type": "regulatory_requirement",
        "label": label,
        "description": "What Telnyx wants",
        "example": "600 Congress Avenue",
        "field_type": field_type,
        "acceptance_criteria": {"locality_limit": "Identical locality as the numbers desired"},
    }


def test_first_store_creates_order_sub_orders_numbers_and_values():
    order, outcome = order_store(bundle=bundle([number(0), number(1, address="addr-1")]))

    assert outcome == SyncOutcome.CREATED
    assert order == Order.objects.get(pk=ORDER_ID)
    assert order.customer_reference == "REF-001"
    assert order.updated_at == when(T0)
    assert order.billing_group_id == ""
    sub = SubOrder.objects.get(order=order)
    assert str(sub.id) == CH_LOCAL
    first = PhoneNumber.objects.get(phone_number="+41215470000")
    assert first.digits == "41215470000"
    assert first.telnyx_id == uuid.UUID(int=1)
    assert first.sub_order == sub  # found by country and type: the entry does not name it
    assert first.deadline == when("2026-11-22T10:00:00+00:00")
    assert first.bundle_id == ""
    assert RequirementValue.objects.filter(phone_number__order=order).count() == 3
    address = RequirementValue.objects.get(requirement_id=ADDRESS)
    assert (address.field_type, address.field_value) == (FieldType.ADDRESS, "addr-1")
    assert {row.synced_at for row in [order, sub, first, address]} == {order.synced_at}
    assert order.changed_at == order.synced_at


def test_number_is_linked_to_the_sub_order_it_names():
    subs = [sub_order(CH_LOCAL, "CH", "local"), sub_order(DE_MOBILE, "CH", "local")]
    order_store(bundle=bundle([number(0, sub_order_id=DE_MOBILE)], sub_orders=subs))

    assert str(PhoneNumber.objects.get().sub_order_id) == DE_MOBILE


def test_denormalised_countries_awaiting_count_and_earliest_open_deadline():
    subs = [sub_order(CH_LOCAL, "CH", "local"), sub_order(DE_MOBILE, "DE", "mobile")]
    numbers = [
        number(0, country="DE", kind="mobile", deadline="2026-11-23T08:00:00Z"),
        number(1, country="CH", deadline="2026-11-22T12:00:00Z"),
        # Met: its earlier deadline no longer matters.
        number(2, country="CH", met=True, deadline="2026-11-21T00:00:00Z"),
        number(3, country="DE", kind="mobile", deadline=None),
    ]
    order, _ = order_store(bundle=bundle(numbers, sub_orders=subs))

    assert order.countries == "CH DE"
    assert order.numbers_awaiting == 3
    assert order.deadline == when("2026-11-22T12:00:00+00:00")
    assert order.phone_numbers_count == 4


def test_order_with_every_number_met_has_no_deadline():
    order, _ = order_store(bundle=bundle([number(0, met=True), number(1, met=True)]))

    assert order.numbers_awaiting == 0
    assert order.deadline is None
    assert order.requirements_met is True


def test_same_version_again_is_unchanged_and_rewrites_no_number(django_assert_max_num_queries):
    first_sync = datetime(2026, 11, 20, 12, tzinfo=UTC)
    order_store(bundle=bundle([number(0), number(1)]), synced_at=first_sync)
    second_sync = datetime(2026, 11, 20, 13, tzinfo=UTC)

    with django_assert_max_num_queries(5):
        order, outcome = order_store(bundle=bundle([number(0), number(1)]), synced_at=second_sync)

    assert outcome == SyncOutcome.UNCHANGED
    stored = Order.objects.get()
    assert (stored.synced_at, stored.changed_at) == (second_sync, first_sync)
    assert set(PhoneNumber.objects.values_list("synced_at", flat=True)) == {first_sync}


def test_equal_version_with_different_fields_is_still_written():
    order_store(bundle=bundle([number(0)], reference="OLD"))

    order, outcome = order_store(bundle=bundle([number(0)], reference="NEW"))

    assert outcome == SyncOutcome.UPDATED
    assert Order.objects.get().customer_reference == "NEW"


def test_newer_version_updates_what_changed_and_leaves_the_rest(django_assert_max_num_queries):
    first_sync = datetime(2026, 11, 20, 12, tzinfo=UTC)
    order_store(bundle=bundle([number(0), number(1)]), synced_at=first_sync)
    changed = [number(0, registration="CHE-123.456.789", met=True), number(1)]

    order, outcome = order_store(bundle=bundle(changed, updated_at=T1, reference="REF-002"))

    assert outcome == SyncOutcome.UPDATED
    assert order.customer_reference == "REF-002"
    assert order.numbers_awaiting == 1
    assert Order.objects.get().updated_at == when(T1)
    fixed = PhoneNumber.objects.get(telnyx_id=uuid.UUID(int=1))
    assert fixed.requirements_met is True
    assert fixed.updated_at == when(T1)
    value = fixed.requirements.get()
    assert (value.field_value, value.status) == ("CHE-123.456.789", "approved")
    untouched = PhoneNumber.objects.get(telnyx_id=uuid.UUID(int=2))
    assert untouched.synced_at == first_sync
    assert PhoneNumber.objects.count() == 2
    assert RequirementValue.objects.count() == 2


def test_older_version_is_stale_and_writes_nothing():
    order_store(bundle=bundle([number(0, registration="NEW-VALUE")], updated_at=T1))
    synced = Order.objects.get().synced_at

    order, outcome = order_store(bundle=bundle([number(0)], updated_at=T0, reference="OLDER"))

    assert outcome == SyncOutcome.STALE
    stored = Order.objects.get()
    assert (stored.customer_reference, stored.updated_at, stored.synced_at) == (
        "REF-001",
        when(T1),
        synced,
    )
    assert RequirementValue.objects.get().field_value == "NEW-VALUE"


def test_sub_orders_numbers_and_values_gone_upstream_are_deleted_locally():
    subs = [sub_order(CH_LOCAL, "CH", "local"), sub_order(DE_MOBILE, "DE", "mobile")]
    numbers = [
        number(0, address="addr-0"),
        number(1),
        number(2, country="DE", kind="mobile"),
    ]
    order_store(bundle=bundle(numbers, sub_orders=subs))

    order_store(bundle=bundle([number(0), number(1)], updated_at=T1))

    assert [str(s.id) for s in SubOrder.objects.all()] == [CH_LOCAL]
    assert sorted(PhoneNumber.objects.values_list("phone_number", flat=True)) == [
        "+41215470000",
        "+41215470001",
    ]
    assert not RequirementValue.objects.filter(requirement_id=ADDRESS).exists()
    assert RequirementValue.objects.count() == 2
    assert Order.objects.get().countries == "CH"


def test_definitions_are_stored_with_normalised_field_types():
    definitions = [
        definition(ADDRESS, "address_id", "Address matching the DID area code"),
        definition(REGISTRATION, "textual", "Business registration number"),
        definition(DOCUMENT, "document_id"),
        definition(SIGNED_ON, "date"),
    ]

    order_store(bundle=bundle([number(0, address="a")], definitions=definitions))

    address = RequirementDefinition.objects.get(pk=ADDRESS)
    assert address.label == "Address matching the DID area code"
    assert address.field_type == FieldType.ADDRESS
    assert address.example == "600 Congress Avenue"
    assert address.acceptance_criteria == {
        "locality_limit": "Identical locality as the numbers desired"
    }
    assert dict(RequirementDefinition.objects.values_list("id", "field_type")) == {
        uuid.UUID(ADDRESS): FieldType.ADDRESS,
        uuid.UUID(REGISTRATION): FieldType.TEXTUAL,
        uuid.UUID(DOCUMENT): FieldType.DOCUMENT,
        uuid.UUID(SIGNED_ON): FieldType.DATETIME,
    }


def test_storing_again_clears_the_gone_mark_and_counts_as_a_change():
    order_store(bundle=bundle([number(0)]))
    Order.objects.update(gone_at=datetime(2026, 11, 20, tzinfo=UTC))
    found_again = datetime(2026, 11, 21, tzinfo=UTC)

    order, outcome = order_store(bundle=bundle([number(0)]), synced_at=found_again)

    assert outcome == SyncOutcome.UNCHANGED
    stored = Order.objects.get()
    assert (stored.gone_at, stored.changed_at) == (None, found_again)


def test_unreadable_order_is_a_malformed_telnyx_error_and_nothing_is_written():
    broken = bundle([number(0)])
    del broken.order["updated_at"]

    with pytest.raises(TelnyxError) as raised:
        order_store(bundle=broken)

    assert raised.value.kind == "malformed"
    assert ORDER_ID in str(raised.value)
    assert not Order.objects.exists()


def _many(count: int, **changes) -> list[dict]:
    return [number(i, **changes) for i in range(count)]


@pytest.mark.parametrize("count", [3, 600])
def test_queries_do_not_grow_with_the_number_count(count, django_assert_max_num_queries):
    """Creating an order, then rewriting every number and every value: the same query budget
    for 3 numbers as for 600."""
    with django_assert_max_num_queries(12):
        order_store(bundle=bundle(_many(count, address="a")))
    with django_assert_max_num_queries(12):
        _, outcome = order_store(
            bundle=bundle(_many(count, registration="X", address="b", met=True), updated_at=T1)
        )

    assert outcome == SyncOutcome.UPDATED
    assert set(PhoneNumber.objects.values_list("requirements_met", flat=True)) == {True}
    assert set(RequirementValue.objects.values_list("field_value", flat=True)) == {"X", "b"}
    assert RequirementValue.objects.count() == 2 * count


def _raw(model) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {model._meta.db_table} ORDER BY 1")
        return cursor.fetchall()


@pytest.mark.parametrize("model", [Order, SubOrder, PhoneNumber, RequirementValue])
def test_rows_are_stored_exactly_as_django_would_write_them(model):
    """The store converts values itself, bypassing the field machinery: saving every row
    again through the ORM must not change a byte (uuids, timestamps, booleans, NULLs)."""
    order_store(bundle=bundle([number(0, address="a"), number(1, deadline=None, met=True)]))
    stored = _raw(model)

    for instance in model.objects.all():
        instance.save()

    assert stored
    assert _raw(model) == stored


def _order_total() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT total FROM orders_order_total")
        return cursor.fetchone()[0]


def test_the_order_total_counts_orders_inserted_not_orders_updated_on_postgresql(order_factory):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the order total is kept on PostgreSQL only (SQLite counts fast itself)")
    order_factory(customer_reference="OTHER")
    order_store(bundle=bundle([number(0)]))
    order_store(bundle=bundle([number(0), number(1)], updated_at=T1, reference="NEW"))
    assert _order_total() == Order.objects.count() == 2

    Order.objects.filter(customer_reference="OTHER").delete()

    assert _order_total() == Order.objects.count() == 1
