"""The queue page's groups of pending orders waiting on one requirement (minimal: what a bulk fix
needs until the queue page lands)."""

from uuid import UUID

from orders.models import PhoneNumber, RequirementValue, Status


def queue_group_orders(
    *, customer_reference: str, country: str, number_type: str, requirement_id: UUID
) -> list[UUID]:
    """The pending orders of a queue group: those with a pending number of this country and type
    whose value for the requirement is not approved, for this customer reference."""
    numbers = PhoneNumber.objects.filter(
        status=Status.PENDING,
        country_code=country,
        phone_number_type=number_type,
        order__status=Status.PENDING,
        order__customer_reference=customer_reference,
        pk__in=RequirementValue.objects.filter(requirement_id=requirement_id)
        .exclude(status="approved")
        .values("phone_number_id"),
    )
    return list(
        numbers.order_by("order__created_at", "order_id")
        .values_list("order_id", flat=True)
        .distinct()
    )
