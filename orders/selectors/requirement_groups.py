"""Reads for attaching requirement groups: which cached groups fit a pending sub order, and
what attaching one would change."""

import uuid
from dataclasses import dataclass, field

from django.db.models import Q

from orders.models import REQUIREMENTS_CANCELLED, RequirementGroup, Status, SubOrder
from orders.selectors.order_page import OrderDetail, SubOrderDetail

# The only status in which Telnyx lets a group be attached and the dashboard offers it.
USABLE = "approved"


@dataclass(frozen=True)
class GroupChange:
    """A value of the sub order's that attaching the group would replace."""

    label: str
    current: str  # "" when awaiting a value; values differing across numbers, joined
    new: str
    status: str


@dataclass
class GroupFit:
    """A group of the sub order's country and number type."""

    group: RequirementGroup
    changes: list[GroupChange] = field(default_factory=list)

    @property
    def attachable(self) -> bool:
        return self.group.status == USABLE


def group_fit(*, sub_order: SubOrder, group_id: str) -> GroupFit | None:
    """The cached group `group_id` when it is of the sub order's country and number type."""
    group = RequirementGroup.objects.filter(
        pk=group_id,
        country_code=sub_order.country_code,
        phone_number_type=sub_order.phone_number_type,
    ).first()
    return None if group is None else GroupFit(group)


def _changes(group: RequirementGroup, sub: SubOrderDetail, labels: dict) -> list[GroupChange]:
    """What Telnyx would update: the sub order's values not yet approved, where the group has
    another value (Telnyx leaves approved values alone)."""
    open_values: dict[uuid.UUID, list[tuple[str, str]]] = {}
    for number in sub.numbers:
        if number.requirements_status == REQUIREMENTS_CANCELLED:
            continue
        for row in number.requirements:
            if row.status != "approved":
                open_values.setdefault(row.requirement_id, []).append((row.field_value, row.status))
    changes = []
    for item in group.regulatory_requirements:
        try:
            requirement_id = uuid.UUID(item.get("requirement_id", ""))
        except ValueError:
            continue
        rows = open_values.get(requirement_id)
        new = item.get("field_value", "")
        if not rows or not new or all(value == new for value, _ in rows):
            continue
        current = ", ".join(dict.fromkeys(value for value, _ in rows if value))
        status = ", ".join(dict.fromkeys(status for _, status in rows if status))
        changes.append(
            GroupChange(labels.get(requirement_id, str(requirement_id)), current, new, status)
        )
    return changes


@dataclass
class GroupOffer:
    """A pending sub order and the groups of its country and number type, usable ones first."""

    sub_order: SubOrder
    fits: list[GroupFit]


def group_offers(*, detail: OrderDetail) -> list[GroupOffer]:
    """The groups that fit each of the order's pending sub orders, with what attaching each
    would change: one query."""
    pending = [sub for sub in detail.sub_orders if sub.sub_order.status == Status.PENDING]
    if not pending:
        return []
    kinds = Q()
    for sub in pending:
        kinds |= Q(
            country_code=sub.sub_order.country_code,
            phone_number_type=sub.sub_order.phone_number_type,
        )
    groups = list(RequirementGroup.objects.filter(kinds))
    labels = {definition.id: definition.label for definition in detail.definitions}
    offers = []
    for sub in pending:
        kind = (sub.sub_order.country_code, sub.sub_order.phone_number_type)
        fitting = [g for g in groups if (g.country_code, g.phone_number_type) == kind]
        fitting.sort(key=lambda group: group.status != USABLE)
        offers.append(
            GroupOffer(sub.sub_order, [GroupFit(g, _changes(g, sub, labels)) for g in fitting])
        )
    return offers
