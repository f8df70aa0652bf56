"""The address endpoints: the account's addresses listed, filtered and sorted, created with
Telnyx's checks, and read one by one. An address id is a number sent as a string."""

import random
import re
from typing import TYPE_CHECKING

from sandbox import records
from sandbox.messages import (
    ApiError,
    Request,
    bad_parameter,
    error,
    json_object,
    lookup,
    missing_field,
)
from sandbox.params import page
from sandbox.places import ISO_COUNTRY_CODES, PLACES
from sandbox.routes import Route

if TYPE_CHECKING:
    from sandbox.server import Sandbox

REQUIRED = (
    "first_name",
    "last_name",
    "business_name",
    "street_address",
    "locality",
    "country_code",
)
SORTS = ("created_at", "first_name", "last_name", "business_name", "street_address")
MAX_LENGTH = 255
_ids = random.SystemRandom()


def list_addresses(box: "Sandbox", request: Request) -> dict:
    query = request.query
    found = list(box.addresses.values())
    for parameter, exact in (
        ("filter[customer_reference]", False),
        ("filter[customer_reference][contains]", False),
        ("filter[customer_reference][eq]", True),
    ):
        if parameter in query:
            found = [a for a in found if _matches(a["customer_reference"], query[parameter], exact)]
    if "filter[street_address][contains]" in query:
        part = query["filter[street_address][contains]"]
        if len(part) < 3:
            raise bad_parameter(
                "filter[street_address][contains]",
                "filter[street_address][contains] needs at least 3 characters.",
            )
        found = [a for a in found if _matches(a["street_address"], part, False)]
    if "filter[address_book][eq]" in query:
        wanted = _flag(query, "filter[address_book][eq]")
        found = [a for a in found if a["address_book"] == wanted]
    if "filter[used_as_emergency]" in query and _flag(query, "filter[used_as_emergency]"):
        found = []  # the sandbox's numbers have no emergency addresses
    sort = query.get("sort", "-created_at")
    if sort.removeprefix("-") not in SORTS:
        raise bad_parameter("sort", "sort is one of " + ", ".join(SORTS) + ", or one with a '-'.")
    key = sort.removeprefix("-")
    found.sort(key=lambda a: (a[key].lower(), a["id"]), reverse=sort.startswith("-"))
    return page(query, found)


def _matches(text: str, wanted: str, exact: bool) -> bool:
    # Like a database's case-insensitive match: "STRASSE" does not find "Straße".
    return text == wanted if exact else wanted.lower() in text.lower()


def _flag(query: dict, parameter: str) -> bool:
    if query[parameter] not in ("true", "false"):
        raise bad_parameter(parameter, f"{parameter} must be true or false.")
    return query[parameter] == "true"


def get_address(box: "Sandbox", request: Request, address_id: str) -> dict:
    return {"data": lookup(box.addresses, address_id)}


def create_address(box: "Sandbox", request: Request) -> dict:
    body = json_object(request.raw)
    problems = [
        missing_field(name)
        for name in REQUIRED
        if body.get(name) is None or (isinstance(body[name], str) and not body[name].strip())
    ]
    problems += _invalid(body)
    if problems:
        raise ApiError(422, problems)
    while (address_id := str(_ids.randrange(10**18, 2**63))) in box.addresses:
        pass
    fields = {name: (body.get(name) or "").strip() for name in records.ADDRESS_FIELDS}
    fields |= {name: body[name] for name in ("address_book", "validate_address") if name in body}
    address = records.address(address_id, fields, created=box.stamp())
    box.addresses[address_id] = address
    return {"data": address}


def _invalid(body: dict) -> list[dict]:
    """An error for each field that is there but wrong: of the wrong type, too long, an unknown
    country, a postal code or phone number that cannot be one."""

    def problem(name: str, detail: str) -> dict:
        return error("10015", "Invalid value", detail, pointer=f"/{name}")

    problems = []
    for name in records.ADDRESS_FIELDS:
        if body.get(name) is not None and not isinstance(body[name], str):
            problems.append(problem(name, "Must be a string."))
        elif len(body.get(name) or "") > MAX_LENGTH:
            problems.append(problem(name, f"Must be at most {MAX_LENGTH} characters long."))
    for name in ("address_book", "validate_address"):
        if name in body and not isinstance(body[name], bool):
            problems.append(problem(name, "Must be true or false."))
    if problems:
        return problems
    country = (body.get("country_code") or "").strip()
    if country and country not in ISO_COUNTRY_CODES:
        problems.append(problem("country_code", "Must be an ISO 3166-1 alpha-2 code, e.g. CH."))
    code, place = (body.get("postal_code") or "").strip(), PLACES.get(country)
    if code and place and not place.accepts_postal_code(code):
        example = place.localities[0]
        detail = f"Not a postal code in {country}, e.g. {example.postal_codes[0]} {example.name}."
        problems.append(problem("postal_code", detail))
    phone = (body.get("phone_number") or "").strip()
    if phone and not re.fullmatch(r"\+[1-9][0-9]{6,14}", phone):
        problems.append(problem("phone_number", "Must be in +E.164 format, e.g. +41215470622."))
    return problems


ROUTES = [
    Route.of("GET", r"/addresses", list_addresses),
    Route.of("POST", r"/addresses", create_address),
    Route.of("GET", r"/addresses/([^/]+)", get_address),
]
