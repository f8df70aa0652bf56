"""The requirement-group endpoints: the account's reusable sets of requirement values, listed
(as a bare list, as Telnyx answers) and read, and attached to a pending sub order or number,
whose values not yet approved they fill in."""

from typing import TYPE_CHECKING

from sandbox.messages import ApiError, Request, bad_parameter, json_object, lookup, missing_field
from sandbox.number_orders import (
    order_of_number,
    order_of_sub_order,
    submitted,
    with_phone_numbers,
    write_values,
)
from sandbox.routes import Route

if TYPE_CHECKING:
    from sandbox.server import Sandbox

FILTERS = {
    "country_code": None,
    "phone_number_type": ("local", "toll_free", "mobile", "national", "shared_cost"),
    "action": ("ordering", "porting", "action"),
    "status": ("approved", "unapproved", "pending-approval", "declined", "expired"),
    "customer_reference": None,
}
UNUSABLE = ("declined", "expired")


def list_groups(box: "Sandbox", request: Request) -> list:
    found = list(box.requirement_groups.values())
    for key, allowed in FILTERS.items():
        parameter = f"filter[{key}]"
        if parameter not in request.query:
            continue
        wanted = request.query[parameter]
        if allowed and wanted not in allowed:
            raise bad_parameter(parameter, f"{parameter} is one of " + ", ".join(allowed) + ".")
        found = [group for group in found if group[key] == wanted]
    return sorted(found, key=lambda group: (group["created_at"], group["id"]), reverse=True)


def get_group(box: "Sandbox", request: Request, group_id: str) -> dict:
    return lookup(box.requirement_groups, group_id)


def attach_to_sub_order(box: "Sandbox", request: Request, sub_order_id: str) -> dict:
    sub_order = lookup(box.sub_orders, sub_order_id)
    group = _group(box, request, sub_order, sub_order["status"])
    open_numbers = [
        number
        for number in box.numbers_of(sub_order)
        if number["status"] == "pending" and number["requirements_status"] != "cancelled"
    ]
    _attach(box, group, open_numbers)
    return {"data": with_phone_numbers(box, sub_order)}


def attach_to_number(box: "Sandbox", request: Request, number_id: str) -> dict:
    number = lookup(box.numbers, number_id)
    status = "cancelled" if number["requirements_status"] == "cancelled" else number["status"]
    group = _group(box, request, number, status)
    _attach(box, group, [number])
    return {"data": number}


def _group(box: "Sandbox", request: Request, target: dict, status: str) -> dict:
    """The group the body names, once it may be attached to `target` (a pending sub order or
    number of the group's country and number type); a 4xx naming the reason otherwise."""
    group_id = json_object(request.raw).get("requirement_group_id")
    pointer = "/requirement_group_id"
    if not isinstance(group_id, str) or not group_id:
        raise ApiError(422, [missing_field("requirement_group_id")])
    group = box.requirement_groups.get(group_id)
    problem = None
    if group is None:
        problem = f"No requirement group with id {group_id} exists."
    elif status != "pending":
        problem = f"Requirement groups can only be attached while pending; this is {status}."
        pointer = "/status"
    elif (group["country_code"], group["phone_number_type"]) != (
        target["country_code"],
        target["phone_number_type"],
    ):
        problem = (
            f"The group is for {group['country_code']} {group['phone_number_type']} numbers, "
            f"these are {target['country_code']} {target['phone_number_type']} numbers."
        )
    elif group["status"] in UNUSABLE:
        problem = f"The group is {group['status']}; only a usable group can be attached."
    if problem:
        raise ApiError.one(422, "10015", "Invalid value", problem, pointer=pointer)
    return group


def _attach(box: "Sandbox", group: dict, numbers: list[dict]) -> None:
    values = {
        item["requirement_id"]: item["field_value"]
        for item in group["regulatory_requirements"]
        if item["field_value"]
    }
    touched = write_values(box, numbers, values, keep_approved=True)
    submitted(box, touched, box.stamp())


ROUTES = [
    Route.of("GET", r"/requirement_groups", list_groups),
    Route.of("GET", r"/requirement_groups/([^/]+)", get_group),
    Route.of(
        "POST",
        r"/sub_number_orders/([^/]+)/requirement_group",
        attach_to_sub_order,
        order_of_sub_order,
    ),
    Route.of(
        "POST",
        r"/number_order_phone_numbers/([^/]+)/requirement_group",
        attach_to_number,
        order_of_number,
    ),
]
