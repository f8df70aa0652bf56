"""Reads of the cached addresses: the picker's search and the labels current values show."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from orders.models import Address

PICKER_RESULTS = 20


def address_label(address: Address) -> str:
    """An address as people read it: business, street, postal code and place, country."""
    place = " ".join(part for part in (address.postal_code, address.locality) if part)
    parts = (address.business_name, address.street_address, place, address.country_code)
    return ", ".join(part for part in parts if part)


def address_labels(ids: Iterable[str]) -> dict[str, str]:
    """Address id -> label, for the ids that are cached (one query)."""
    wanted = {value for value in ids if value and value.isdigit()}
    if not wanted:
        return {}
    return {address.pk: address_label(address) for address in Address.objects.filter(pk__in=wanted)}


@dataclass(frozen=True)
class AddressScope:
    """Where a requirement's address must be: its numbers' country, and their locality when
    Telnyx's criteria ask for one in the same locality."""

    country_code: str = ""
    locality: str = ""


def address_search(*, text: str, scope: AddressScope, limit: int = PICKER_RESULTS) -> list[Address]:
    """The cached addresses within `scope` whose street, business name or customer reference
    holds `text` (all of them in scope for no text), best known first."""
    found = Address.objects.all()
    if scope.country_code:
        found = found.filter(country_code=scope.country_code)
    if scope.locality:
        found = found.filter(locality__iexact=scope.locality)
    text = text.strip()
    if text:
        found = found.filter(
            Q(street_address__icontains=text)
            | Q(business_name__icontains=text)
            | Q(customer_reference__icontains=text)
        )
    return list(found.order_by("business_name", "street_address", "pk")[:limit])
