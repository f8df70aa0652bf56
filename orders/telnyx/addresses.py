"""The client's calls on the account's addresses (`/addresses`), mixed into TelnyxClient."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from orders.telnyx.query import MAX_PAGE_SIZE, query


class AddressCalls:
    """List, read and create addresses. An address id is Telnyx's int64, sent as a string."""

    def list_addresses(
        self,
        *,
        customer_reference: str | None = None,
        street_address_contains: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[dict]:
        """Every address matching the filters, page by page (Telnyx needs 3 or more characters
        for `street_address_contains`)."""
        params = query(
            {
                "filter[customer_reference]": customer_reference,
                "filter[street_address][contains]": street_address_contains,
            }
        )
        return self._pages("/addresses", params, page_size)

    def get_address(self, address_id: str) -> dict:
        return self._data("GET", f"/addresses/{address_id}", dict)

    def create_address(self, fields: dict[str, Any]) -> dict:
        """`fields`: Telnyx's AddressCreate (first_name, last_name, business_name,
        street_address, locality and country_code are required)."""
        return self._data("POST", "/addresses", dict, json=fields)
