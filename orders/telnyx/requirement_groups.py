"""The Telnyx client's requirement-group calls: listing the account's groups and attaching one
to a pending sub order or number."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orders.telnyx.errors import TelnyxError
from orders.telnyx.query import query

if TYPE_CHECKING:
    from orders.telnyx import TelnyxClient


class RequirementGroupCalls:
    """Mixed into TelnyxClient: uses its `_send`, `_json` and `_data`."""

    def list_requirement_groups(
        self: TelnyxClient,
        *,
        country_code: str | None = None,
        phone_number_type: str | None = None,
        status: str | None = None,
        customer_reference: str | None = None,
    ) -> list[dict]:
        """Every group matching the filters. Telnyx answers this one with a bare list, neither
        enveloped in `data` nor paged."""
        params = query(
            {
                "filter[country_code]": country_code,
                "filter[phone_number_type]": phone_number_type,
                "filter[status]": status,
                "filter[customer_reference]": customer_reference,
            }
        )
        response = self._send("GET", "/requirement_groups", params=params)
        body = self._json(response)
        if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
            raise TelnyxError(
                "malformed", status=response.status_code, detail="not a list of objects"
            )
        return body

    def attach_requirement_group_to_sub_order(
        self: TelnyxClient, sub_order_id: str, *, requirement_group_id: str
    ) -> dict:
        """Telnyx fills in the sub order's values not yet approved; the answer is the sub order
        with its phone numbers."""
        body = {"requirement_group_id": requirement_group_id}
        return self._data(
            "POST", f"/sub_number_orders/{sub_order_id}/requirement_group", dict, json=body
        )

    def attach_requirement_group_to_number(
        self: TelnyxClient, number_id: str, *, requirement_group_id: str
    ) -> dict:
        body = {"requirement_group_id": requirement_group_id}
        return self._data(
            "POST", f"/number_order_phone_numbers/{number_id}/requirement_group", dict, json=body
        )
