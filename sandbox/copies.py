"""Copies of an order under new ids: many pending orders of one customer waiting on the same
requirement, as many as a test or benchmark needs (the generated world spreads its orders over
many countries and customers)."""

import copy
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.server import Sandbox


def copy_order(box: "Sandbox", order_id: str, *, copies: int, customer_reference: str) -> list[str]:
    """Adds `copies` copies of an order (its sub orders and numbers too, each with a new id), all
    with `customer_reference`, which the original gets as well; answers the copies' ids."""
    with box.lock:
        original = box.orders[order_id]
        original["customer_reference"] = customer_reference
        for sub_id in original["sub_number_orders_ids"]:
            box.sub_orders[sub_id]["customer_reference"] = customer_reference
        made = []
        for _ in range(copies):
            order = copy.deepcopy(original)
            order["id"] = str(uuid.uuid4())
            new_sub_ids = {sub_id: str(uuid.uuid4()) for sub_id in order["sub_number_orders_ids"]}
            order["sub_number_orders_ids"] = list(new_sub_ids.values())
            for old_id, new_id in new_sub_ids.items():
                sub_order = copy.deepcopy(box.sub_orders[old_id])
                sub_order["id"], sub_order["order_request_id"] = new_id, order["id"]
                box.sub_orders[new_id] = sub_order
            for number in order["phone_numbers"]:
                number["id"] = str(uuid.uuid4())
                number["order_request_id"] = order["id"]
                number["sub_number_order_id"] = new_sub_ids[number["sub_number_order_id"]]
                box.numbers[number["id"]] = number
            box.orders[order["id"]] = order
            made.append(order["id"])
    return made


@dataclass
class WaitingOrders:
    """Pending orders of one customer, country and number type, waiting on one requirement."""

    customer_reference: str
    country: str
    number_type: str
    requirement_id: str
    order_ids: list[str]
    field_value: str  # the value the numbers hold now


def orders_waiting_on(
    box: "Sandbox", *, label: str, count: int, customer_reference: str
) -> WaitingOrders:
    """`count` pending orders waiting on the requirement called `label` (a pending number with
    no value for it yet, or one declined: what the dashboard's queue lists): the smallest pending
    order that does (most orders have a few numbers), and copies of it. LookupError when no
    order waits on one."""
    candidates = [
        (len(order["phone_numbers"]), order, number, item)
        for order in box.orders.values()
        if order["status"] == "pending"
        for number in order["phone_numbers"]
        for item in number["regulatory_requirements"]
        if number["status"] == "pending"
        and box.definitions[item["requirement_id"]]["label"] == label
        and (not item["field_value"] or item["status"] == "declined")
    ]
    if not candidates:
        raise LookupError(f"no pending order waits on {label!r}")
    _, order, number, item = min(candidates, key=lambda candidate: candidate[0])
    copies = copy_order(box, order["id"], copies=count - 1, customer_reference=customer_reference)
    return WaitingOrders(
        customer_reference=customer_reference,
        country=number["country_code"],
        number_type=number["phone_number_type"],
        requirement_id=item["requirement_id"],
        order_ids=[order["id"], *copies],
        field_value=item["field_value"],
    )
