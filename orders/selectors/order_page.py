"""Reads for the order page: one order with its sub orders, numbers and requirements."""

import functools
import uuid
from dataclasses import dataclass, field

from django.db.models import CharField
from django.db.models.functions import Cast

from orders.models import (
    REQUIREMENTS_CANCELLED,
    Comment,
    Order,
    PhoneNumber,
    RequirementDefinition,
    RequirementValue,
    Status,
    SubOrder,
)


@dataclass(slots=True)
class RequirementRow:
    """One requirement value of a number, as the order page shows it."""

    requirement_id: uuid.UUID
    field_type: str
    field_value: str
    status: str
    # None while Telnyx's definition of the requirement has not been fetched.
    definition: RequirementDefinition | None


@dataclass(slots=True)
class NumberRow:
    """One phone number of an order, with its requirement values."""

    id: int
    sub_order_id: uuid.UUID | None
    phone_number: str
    status: str
    requirements_status: str
    locality: str
    requirements: list[RequirementRow] = field(default_factory=list)


@dataclass
class SubOrderDetail:
    sub_order: SubOrder
    numbers: list[NumberRow]

    @property
    def cancelled(self) -> bool:
        """Telnyx has no "cancelled" status: a cancelled sub order is a failure whose numbers
        all say requirements_status "cancelled"."""
        return (
            self.sub_order.status == Status.FAILURE
            and bool(self.numbers)
            and all(n.requirements_status == REQUIREMENTS_CANCELLED for n in self.numbers)
        )

    @property
    def display_status(self) -> str:
        return "cancelled" if self.cancelled else self.sub_order.status


@dataclass
class OrderDetail:
    order: Order
    sub_orders: list[SubOrderDetail]
    # Numbers Telnyx no longer lists under any sub order (the link is nullable).
    unassigned_numbers: list[NumberRow]
    # The definitions the order's requirement values refer to, by label.
    definitions: list[RequirementDefinition]


def _as_text(field_name: str) -> Cast:
    return Cast(field_name, output_field=CharField())


def order_detail(*, order_id: uuid.UUID) -> OrderDetail:
    """One order with its sub orders, numbers and requirement values, in five queries.

    A big order has hundreds of numbers and twice as many values: they are read as plain rows
    (NumberRow, RequirementRow), which costs a fraction of building model instances.
    Raises Order.DoesNotExist.
    """
    order = Order.objects.get(pk=order_id)
    sub_orders = SubOrder.objects.filter(order_id=order_id).order_by(
        "country_code", "phone_number_type"
    )
    # Those rows repeat a handful of requirement and sub order ids: read as text, each is
    # parsed once, where parsing a UUID per row was a large part of this read.
    parsed = functools.cache(uuid.UUID)
    values = RequirementValue.objects.filter(phone_number__order_id=order_id).order_by("id")
    value_rows = [
        (number_id, parsed(requirement_id), *fields)
        for number_id, requirement_id, *fields in values.values_list(
            "phone_number_id", _as_text("requirement_id"), "field_type", "field_value", "status"
        )
    ]
    # requirement_id is a plain UUID (definitions arrive separately from Telnyx): one query.
    definitions = RequirementDefinition.objects.in_bulk({row[1] for row in value_rows})
    requirements: dict[int, list[RequirementRow]] = {}
    for number_id, requirement_id, *fields in value_rows:
        requirements.setdefault(number_id, []).append(
            RequirementRow(requirement_id, *fields, definition=definitions.get(requirement_id))
        )
    numbers: dict[uuid.UUID | None, list[NumberRow]] = {}
    number_rows = (
        PhoneNumber.objects.filter(order_id=order_id)
        .order_by("phone_number")
        .values_list(
            "id",
            _as_text("sub_order_id"),
            "phone_number",
            "status",
            "requirements_status",
            "locality",
        )
    )
    for number_id, sub_order_id, *fields in number_rows:
        number = NumberRow(
            number_id,
            sub_order_id and parsed(sub_order_id),
            *fields,
            requirements=requirements.get(number_id, []),
        )
        numbers.setdefault(number.sub_order_id, []).append(number)
    return OrderDetail(
        order=order,
        sub_orders=[
            SubOrderDetail(sub_order=sub, numbers=numbers.get(sub.id, [])) for sub in sub_orders
        ],
        unassigned_numbers=numbers.get(None, []),
        definitions=sorted(definitions.values(), key=lambda d: d.label),
    )


@dataclass
class RequirementSummary:
    """One requirement of an order, once for all of its numbers that have it: what the "Fix
    requirements" form lists. Cancelled numbers are left out: Telnyx takes no values for them."""

    requirement_id: uuid.UUID
    field_type: str
    # None while Telnyx's definition of the requirement has not been fetched.
    definition: RequirementDefinition | None
    values: list[str] = field(default_factory=list)  # distinct, "" for "awaiting a value"
    statuses: list[str] = field(default_factory=list)  # distinct
    numbers: list[str] = field(default_factory=list)  # E.164
    # Country and number type of the sub orders whose numbers have it, e.g. "GB local": tells
    # apart requirements of one label asked by several countries.
    sub_orders: list[str] = field(default_factory=list)
    # When declined: the latest of Telnyx's comments that gives the reason (selectors.comments).
    decline_reason: Comment | None = None

    @property
    def label(self) -> str:
        return self.definition.label if self.definition else str(self.requirement_id)

    @property
    def current_value(self) -> str:
        """The value all its numbers share; "" when there is none yet or they differ."""
        return self.values[0] if len(self.values) == 1 else ""

    @property
    def criteria(self) -> list[tuple[str, str]]:
        """Telnyx's acceptance criteria as (name, text) pairs to show."""
        criteria = self.definition.acceptance_criteria if self.definition else {}
        return [
            (name.replace("_", " ").capitalize(), _shown(value)) for name, value in criteria.items()
        ]


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def requirement_summaries(*, detail: OrderDetail) -> list[RequirementSummary]:
    """The distinct requirements of an order's open numbers, in the order first met (Telnyx's
    order within a sub order). Reads nothing more from the database than `detail` holds."""
    groups = [
        (f"{sub.sub_order.country_code} {sub.sub_order.phone_number_type}", sub.numbers)
        for sub in detail.sub_orders
    ]
    groups.append(("", detail.unassigned_numbers))
    summaries: dict[uuid.UUID, RequirementSummary] = {}
    for kind, numbers in groups:
        for number in numbers:
            if number.requirements_status == REQUIREMENTS_CANCELLED:
                continue
            for row in number.requirements:
                summary = summaries.get(row.requirement_id)
                if summary is None:
                    summary = summaries[row.requirement_id] = RequirementSummary(
                        row.requirement_id, row.field_type, row.definition
                    )
                # Made distinct below: a big order's values may all differ.
                summary.values.append(row.field_value)
                summary.statuses.append(row.status)
                if kind and kind not in summary.sub_orders:
                    summary.sub_orders.append(kind)
                summary.numbers.append(number.phone_number)
    for summary in summaries.values():
        summary.values = list(dict.fromkeys(summary.values))
        summary.statuses = list(dict.fromkeys(summary.statuses))
    return list(summaries.values())
