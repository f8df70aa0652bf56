"""The number-order endpoints: orders, sub orders, their phone numbers and the requirements
each number must meet, read and written as Telnyx does."""

from typing import TYPE_CHECKING

from sandbox import catalogue
from sandbox.clock import parse_iso
from sandbox.messages import ApiError, Request, invalid_value, json_object, lookup
from sandbox.params import boolean, integer, meta, moment, page
from sandbox.routes import Route

if TYPE_CHECKING:
    from sandbox.server import Sandbox

SUB_ORDER_NUMBERS_SHOWN = 50


# -- reads ---------------------------------------------------------------------------------------


def list_orders(box: "Sandbox", request: Request) -> dict:
    query = request.query
    orders = list(box.orders.values())
    if "filter[status]" in query:
        orders = [o for o in orders if o["status"] == query["filter[status]"]]
    for bound, keep in (("gt", lambda a, b: a > b), ("lt", lambda a, b: a < b)):
        parameter = f"filter[created_at][{bound}]"
        if parameter in query:
            when = moment(query, parameter)
            orders = [o for o in orders if keep(parse_iso(o["created_at"]), when)]
    if "filter[phone_numbers_count]" in query:
        count = integer(query, "filter[phone_numbers_count]", minimum=0)
        orders = [o for o in orders if o["phone_numbers_count"] == count]
    if "filter[customer_reference]" in query:
        reference = query["filter[customer_reference]"]
        orders = [o for o in orders if o["customer_reference"] == reference]
    if "filter[requirements_met]" in query:
        met = boolean(query, "filter[requirements_met]")
        orders = [o for o in orders if o["requirements_met"] == met]
    answer = page(query, orders)
    answer["data"] = [_order_summary(o) for o in answer["data"]]
    return answer


def get_order(box: "Sandbox", request: Request, order_id: str) -> dict:
    return {"data": lookup(box.orders, order_id)}


def list_sub_orders(box: "Sandbox", request: Request) -> dict:
    query = request.query
    if "filter[order_request_id]" in query:
        # Through the order's own list: scanning every sub order on each request (a sync
        # asks once per order) made the sandbox slower the more orders it held.
        parent = box.orders.get(query["filter[order_request_id]"])
        ids = parent["sub_number_orders_ids"] if parent else []
        sub_orders = [box.sub_orders[sub_id] for sub_id in ids]
    else:
        sub_orders = list(box.sub_orders.values())
    for key in ("status", "order_request_id", "country_code", "phone_number_type"):
        if f"filter[{key}]" in query:
            sub_orders = [s for s in sub_orders if s[key] == query[f"filter[{key}]"]]
    if "filter[phone_numbers_count]" in query:
        count = integer(query, "filter[phone_numbers_count]", minimum=0)
        sub_orders = [s for s in sub_orders if s["phone_numbers_count"] == count]
    return page(query, sub_orders)


def get_sub_order(box: "Sandbox", request: Request, sub_order_id: str) -> dict:
    found = lookup(box.sub_orders, sub_order_id)
    if not boolean(request.query, "filter[include_phone_numbers]", default=False):
        return {"data": found}
    return {"data": with_phone_numbers(box, found)}


def with_phone_numbers(box: "Sandbox", found: dict) -> dict:
    """A sub order as `filter[include_phone_numbers]=true` shows it."""
    return {**found, "phone_numbers": box.numbers_of(found)[:SUB_ORDER_NUMBERS_SHOWN]}


def list_phone_numbers(box: "Sandbox", request: Request) -> dict:
    numbers = list(box.numbers.values())
    if "filter[country_code]" in request.query:
        wanted = request.query["filter[country_code]"]
        numbers = [n for n in numbers if n["country_code"] == wanted]
    return page(request.query, numbers)


def get_phone_number(box: "Sandbox", request: Request, number_id: str) -> dict:
    return {"data": lookup(box.numbers, number_id)}


def list_requirements(box: "Sandbox", request: Request) -> dict:
    wanted = request.query.get("filter[phone_number]", "")
    if not wanted.strip():
        raise ApiError.one(
            400,
            "10004",
            "Missing required parameter",
            "filter[phone_number] lists the phone numbers, separated by commas.",
            parameter="filter[phone_number]",
        )
    answers = []
    for text in wanted.split(","):
        # An unencoded '+' in a query string reads as a space.
        number = "+" + text.strip().lstrip("+")
        found = catalogue.classify(number)
        if found is None:
            raise ApiError.one(
                400,
                "10016",
                "Phone number must be in +E.164 format",
                f"{text.strip()!r} is not a phone number Telnyx offers.",
                parameter="filter[phone_number]",
            )
        country, number_type, _ = found
        answers.append(
            {
                "phone_number": number,
                "phone_number_type": number_type,
                "record_type": "phone_number_regulatory_requirements",
                "region_information": [{"region_type": "country_code", "region_name": country}],
                "regulatory_requirements": box.catalogue[country, number_type],
            }
        )
    return {"data": answers, "meta": meta(1, len(answers), len(answers))}


# -- writes --------------------------------------------------------------------------------------


def update_order(box: "Sandbox", request: Request, order_id: str) -> dict:
    found = lookup(box.orders, order_id)
    reference, values = _validated_update(box, found, json_object(request.raw))
    touched = write_values(box, open_numbers(found), dict(values), keep_approved=False)
    if reference is not None:
        found["customer_reference"] = reference
        for sub_order_id in found["sub_number_orders_ids"]:
            box.sub_orders[sub_order_id]["customer_reference"] = reference
            touched.setdefault(sub_order_id, set())
    stamp = box.stamp()
    submitted(box, touched, stamp)
    box.rollup(found, stamp)
    return {"data": found}


def write_values(
    box: "Sandbox", numbers: list[dict], values: dict[str, str], *, keep_approved: bool
) -> dict[str, set[str]]:
    """Sets requirement id -> value on these numbers, each pending approval again (but for those
    already approved, when `keep_approved`); answers the requirement ids written per sub order.
    A document a value refers to is linked, and so never deleted."""
    touched: dict[str, set[str]] = {}
    for number in numbers:
        for item in number["regulatory_requirements"]:
            value = values.get(item["requirement_id"])
            if value is None or (keep_approved and item["status"] == "approved"):
                continue
            item["field_value"], item["status"] = value, "pending-approval"
            touched.setdefault(number["sub_number_order_id"], set()).add(item["requirement_id"])
            if item["field_type"] == "document":
                box.linked_documents.add(value)
    return touched


def submitted(box: "Sandbox", touched: dict[str, set[str]], stamp: str) -> None:
    """After values were written: the touched sub orders' flags and dates, and a review of the
    values to come."""
    for sub_order_id, requirement_ids in touched.items():
        box.settle(box.sub_orders[sub_order_id], stamp)
        box.reviewers.values_submitted(sub_order_id, requirement_ids)


def _validated_update(box: "Sandbox", found: dict, body: dict) -> tuple[str | None, list]:
    """(new customer reference or None, [(requirement id, value)]), or a 422 naming each
    offending field."""
    problems = []
    reference = body.get("customer_reference")
    if reference is not None and not isinstance(reference, str):
        problems.append(invalid_value("/customer_reference", "Must be a string."))
    requested = body.get("regulatory_requirements", [])
    if not isinstance(requested, list):
        requested = []
        problems.append(invalid_value("/regulatory_requirements", "Must be a list."))
    applicable = {
        item["requirement_id"]
        for number in open_numbers(found)
        for item in number["regulatory_requirements"]
    }
    values = []
    for index, item in enumerate(requested):
        pointer = f"/regulatory_requirements/{index}"
        if not isinstance(item, dict):
            problems.append(invalid_value(pointer, "Must be an object."))
            continue
        requirement_id, value = item.get("requirement_id"), item.get("field_value")
        if requirement_id not in applicable:
            problems.append(
                invalid_value(
                    f"{pointer}/requirement_id",
                    f"{requirement_id!r} is not a requirement of this order's open numbers.",
                )
            )
            continue
        if not isinstance(value, str):
            problems.append(invalid_value(f"{pointer}/field_value", "Must be a string."))
            continue
        definition = box.definitions[requirement_id]
        reason = catalogue.validate_value(definition, value) or _unknown_record(
            box, definition, value
        )
        if reason:
            problems.append(invalid_value(f"{pointer}/field_value", reason))
            continue
        values.append((requirement_id, value))
    if problems:
        raise ApiError(422, problems)
    return reference, values


def _unknown_record(box: "Sandbox", definition: dict, value: str) -> str | None:
    """Why an address or document value refers to nothing, or None."""
    if definition["field_type"] == "address" and value not in box.addresses:
        return f"No address with id {value} exists."
    if definition["field_type"] == "document" and value not in box.documents:
        return (
            f"No document with id {value} exists (an upload that no requirement value refers to "
            "is deleted after 30 minutes)."
        )
    return None


def cancel_sub_order(box: "Sandbox", request: Request, sub_order_id: str) -> dict:
    found = lookup(box.sub_orders, sub_order_id)
    if found["status"] != "pending":
        raise ApiError.one(
            422,
            "10015",
            "Invalid state",
            f"Only pending sub number orders can be cancelled; this one is {found['status']}.",
            pointer="/status",
        )
    stamp = box.stamp()
    found["status"] = "failure"
    found["updated_at"] = stamp
    for number in box.numbers_of(found):
        number["status"] = "failure"
        number["requirements_status"] = "cancelled"
    box.rollup(box.orders[found["order_request_id"]], stamp)
    return {"data": found}


# -- helpers -------------------------------------------------------------------------------------


def _order_summary(found: dict) -> dict:
    """An order as lists show it: phone numbers cut down to id and number."""
    short = [{"id": n["id"], "phone_number": n["phone_number"]} for n in found["phone_numbers"]]
    return {**found, "phone_numbers": short}


def open_numbers(found: dict) -> list[dict]:
    return [n for n in found["phone_numbers"] if n["requirements_status"] != "cancelled"]


def order_of_sub_order(box: "Sandbox", request: Request, sub_order_id: str, *_) -> str | None:
    found = box.sub_orders.get(sub_order_id)
    return found and found["order_request_id"]


def order_of_number(box: "Sandbox", request: Request, number_id: str, *_) -> str | None:
    found = box.numbers.get(number_id)
    return found and found["order_request_id"]


def _order_itself(box: "Sandbox", request: Request, order_id: str) -> str:
    return order_id


def _order_filtered(box: "Sandbox", request: Request) -> str | None:
    return request.query.get("filter[order_request_id]")


ROUTES = [
    Route.of("GET", r"/number_orders", list_orders),
    Route.of("GET", r"/number_orders/([^/]+)", get_order, _order_itself),
    Route.of("PATCH", r"/number_orders/([^/]+)", update_order, _order_itself),
    Route.of("GET", r"/sub_number_orders", list_sub_orders, _order_filtered),
    Route.of("GET", r"/sub_number_orders/([^/]+)", get_sub_order, order_of_sub_order),
    Route.of("PATCH", r"/sub_number_orders/([^/]+)/cancel", cancel_sub_order, order_of_sub_order),
    Route.of("GET", r"/number_order_phone_numbers", list_phone_numbers),
    Route.of("GET", r"/number_order_phone_numbers/([^/]+)", get_phone_number, order_of_number),
    Route.of("GET", r"/phone_numbers_regulatory_requirements", list_requirements),
]
