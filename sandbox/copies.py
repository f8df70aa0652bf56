"""Copies of an order under new ids: a queue group as large as a test or benchmark needs (the
generated world spreads its orders over many countries and customers)."""

import copy
import uuid
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
