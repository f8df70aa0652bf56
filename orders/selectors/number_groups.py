"""The order page's numbers as people scan a big order: grouped by sub order, filtered, big
groups collapsed, and the requirement values every number of a group shares shown once."""

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Exists, OuterRef, Q

from orders.models import RequirementValue, ValueStatus
from orders.selectors.order_page import NumberRow, OrderDetail, RequirementRow

# A group longer than this starts collapsed (about two screens of numbers), unless filtered.
COLLAPSE_AFTER = 24


class RequirementState(StrEnum):
    """Where a requirement value stands, as the numbers filter offers it."""

    AWAITING = "awaiting"
    DECLINED = "declined"
    IN_REVIEW = "in-review"
    APPROVED = "approved"

    @classmethod
    def of(cls, row: RequirementRow) -> "RequirementState":
        return cls.of_value(row.field_value, row.status)

    @classmethod
    def of_value(cls, field_value: str, status: str) -> "RequirementState":
        """Telnyx's verdict first, then whether a value was given. AWAITING and DECLINED are what
        the queue lists (orders.selectors.queue_scope.needs_action)."""
        if status == ValueStatus.DECLINED:
            return cls.DECLINED
        if status == ValueStatus.APPROVED:
            return cls.APPROVED
        return cls.AWAITING if not field_value else cls.IN_REVIEW

    def where(self) -> Q:
        """of() in SQL: the requirement values in this state."""
        reviewed = (ValueStatus.DECLINED, ValueStatus.APPROVED)
        if self is RequirementState.AWAITING:
            return Q(field_value="") & ~Q(status__in=reviewed)
        if self is RequirementState.IN_REVIEW:
            return ~Q(field_value="") & ~Q(status__in=reviewed)
        status = ValueStatus.DECLINED if self is RequirementState.DECLINED else ValueStatus.APPROVED
        return Q(status=status)

    def shown(self, status: str) -> str:
        """The status a CSV writes: Telnyx's, or "awaiting value" before there is one."""
        return "awaiting value" if self is RequirementState.AWAITING and not status else status


@dataclass(frozen=True)
class NumberFilter:
    digits: str = ""  # any run of the number's digits
    status: str = ""  # the number's status
    requirement: RequirementState | None = None  # has a value in that state

    @property
    def active(self) -> bool:
        return bool(self.digits or self.status or self.requirement)

    def keeps(self, number: NumberRow) -> bool:
        if self.digits and self.digits not in number.phone_number:
            return False
        if self.status and number.status != self.status:
            return False
        return self.requirement is None or any(
            RequirementState.of(row) == self.requirement for row in number.requirements
        )

    def where(self) -> Q:
        """keeps() in SQL: the phone numbers kept."""
        kept = Q()
        if self.digits:
            kept &= Q(phone_number__contains=self.digits)
        if self.status:
            kept &= Q(status=self.status)
        if self.requirement is not None:
            in_state = RequirementValue.objects.filter(self.requirement.where())
            kept &= Q(Exists(in_state.filter(phone_number=OuterRef("pk"))))
        return kept


@dataclass
class NumberGroup:
    title: str  # "CH · local", or "Not in a sub order"
    status: str  # the sub order's status as the page shows it; "" for numbers without one
    total: int  # numbers in the group, filtered or not
    numbers: list[NumberRow]  # the numbers shown, without the shared values
    shared: list[RequirementRow]  # values identical on every number shown
    collapsed: bool


def _value_key(row: RequirementRow) -> tuple:
    return row.requirement_id, row.field_type, row.field_value, row.status


def _shared(numbers: list[NumberRow]) -> list[RequirementRow]:
    """The values that every one of several numbers holds alike."""
    if len(numbers) < 2:
        return []
    common = {_value_key(row) for row in numbers[0].requirements}
    for number in numbers[1:]:
        common &= {_value_key(row) for row in number.requirements}
        if not common:
            return []
    return [row for row in numbers[0].requirements if _value_key(row) in common]


def _group(title: str, status: str, numbers: list[NumberRow], numbers_filter: NumberFilter):
    shown = [number for number in numbers if numbers_filter.keeps(number)]
    shared = _shared(shown)
    if shared:
        keys = {_value_key(row) for row in shared}
        shown = [
            dataclasses.replace(
                number,
                requirements=[row for row in number.requirements if _value_key(row) not in keys],
            )
            for number in shown
        ]
    return NumberGroup(
        title=title,
        status=status,
        total=len(numbers),
        numbers=shown,
        shared=shared,
        collapsed=not numbers_filter.active and len(numbers) > COLLAPSE_AFTER,
    )


def number_groups(*, detail: OrderDetail, numbers_filter: NumberFilter) -> list[NumberGroup]:
    """The order's numbers by sub order; a group none of whose numbers the filter keeps is
    left out."""
    groups = [
        _group(
            f"{sub.sub_order.country_code} · {sub.sub_order.phone_number_type}",
            sub.display_status,
            sub.numbers,
            numbers_filter,
        )
        for sub in detail.sub_orders
    ]
    if detail.unassigned_numbers:
        groups.append(_group("Not in a sub order", "", detail.unassigned_numbers, numbers_filter))
    return [group for group in groups if group.numbers]
