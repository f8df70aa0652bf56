"""The Telnyx client's number-order calls: orders, sub orders, their numbers and requirements."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from orders.telnyx.query import MAX_PAGE_SIZE, query

if TYPE_CHECKING:
    from orders.telnyx import TelnyxClient

# Numbers per requirements request: keeps the query string well under common URL limits.
REQUIREMENTS_BATCH = 50


class NumberOrderCalls:
    """Mixed into TelnyxClient: uses its `_pages` and `_data`."""

    # Number orders

    def list_number_orders(
        self: TelnyxClient,
        *,
        status: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        customer_reference: str | None = None,
        requirements_met: bool | None = None,
        phone_numbers_count: int | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[dict]:
        params = query(
            {
                "filter[status]": status,
                "filter[created_at][gt]": created_after,
                "filter[created_at][lt]": created_before,
                "filter[customer_reference]": customer_reference,
                "filter[requirements_met]": requirements_met,
                "filter[phone_numbers_count]": phone_numbers_count,
            }
        )
        # Items as Telnyx sent them, objects or not: one bad item is one failed order, and the
        # caller goes on with the rest.
        return self._pages("/number_orders", params, page_size, objects=False)

    def get_number_order(self: TelnyxClient, order_id: str) -> dict:
        return self._data("GET", f"/number_orders/{order_id}", dict)

    def update_number_order(
        self: TelnyxClient,
        order_id: str,
        *,
        customer_reference: str | None = None,
        regulatory_requirements: list[dict] | None = None,
    ) -> dict:
        # Only what the caller changes: an absent key leaves Telnyx's value alone.
        body = {
            key: value
            for key, value in {
                "customer_reference": customer_reference,
                "regulatory_requirements": regulatory_requirements,
            }.items()
            if value is not None
        }
        return self._data("PATCH", f"/number_orders/{order_id}", dict, json=body)

    # Sub number orders

    def list_sub_number_orders(
        self: TelnyxClient,
        *,
        order_id: str | None = None,
        status: str | None = None,
        country_code: str | None = None,
        phone_number_type: str | None = None,
    ) -> list[dict]:
        params = query(
            {
                "filter[order_request_id]": order_id,
                "filter[status]": status,
                "filter[country_code]": country_code,
                "filter[phone_number_type]": phone_number_type,
            }
        )
        return list(self._pages("/sub_number_orders", params, MAX_PAGE_SIZE))

    def get_sub_number_order(
        self: TelnyxClient, sub_order_id: str, *, include_phone_numbers: bool = False
    ) -> dict:
        params = query({"filter[include_phone_numbers]": include_phone_numbers})
        return self._data("GET", f"/sub_number_orders/{sub_order_id}", dict, params=params)

    def cancel_sub_number_order(self: TelnyxClient, sub_order_id: str) -> dict:
        return self._data("PATCH", f"/sub_number_orders/{sub_order_id}/cancel", dict)

    # Phone numbers and their requirements

    def list_number_order_phone_numbers(
        self: TelnyxClient, *, country_code: str | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[dict]:
        params = query({"filter[country_code]": country_code})
        return self._pages("/number_order_phone_numbers", params, page_size)

    def list_phone_number_requirements(self: TelnyxClient, phone_numbers: list[str]) -> list[dict]:
        numbers = list(dict.fromkeys(phone_numbers))
        found: list[dict] = []
        for start in range(0, len(numbers), REQUIREMENTS_BATCH):
            batch = ",".join(numbers[start : start + REQUIREMENTS_BATCH])
            found.extend(
                self._pages(
                    "/phone_numbers_regulatory_requirements",
                    {"filter[phone_number]": batch},
                    MAX_PAGE_SIZE,
                )
            )
        return found
