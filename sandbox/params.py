"""Query parameters read the way Telnyx reads them: pages, integers, booleans and moments, each
refused with a 400 naming the parameter when it cannot be read."""

import math
from datetime import datetime

from sandbox.clock import parse_iso
from sandbox.messages import bad_parameter

PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX = 20, 250


def meta(page_number: int, page_size: int, total: int) -> dict:
    return {
        "page_number": page_number,
        "page_size": page_size,
        "total_pages": math.ceil(total / page_size) if page_size else 0,
        "total_results": total,
    }


def page(query: dict, items: list) -> dict:
    """`{"data": [...], "meta": {...}}`: the page that `page[number]` and `page[size]` ask for."""
    number = integer(query, "page[number]", minimum=1, default=1)
    size = integer(query, "page[size]", minimum=1, maximum=PAGE_SIZE_MAX, default=PAGE_SIZE_DEFAULT)
    return {
        "data": items[(number - 1) * size : number * size],
        "meta": meta(number, size, len(items)),
    }


def integer(query, parameter, *, minimum=None, maximum=None, default=None) -> int:
    text = query.get(parameter)
    if text is None and default is not None:
        return default
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise bad_parameter(parameter, f"{parameter} must be an integer.") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum else f"at least {minimum}"
        raise bad_parameter(parameter, f"{parameter} must be {bounds}.")
    return value


def boolean(query, parameter, *, default=None) -> bool:
    text = query.get(parameter)
    if text is None and default is not None:
        return default
    if text in ("true", "false"):
        return text == "true"
    raise bad_parameter(parameter, f"{parameter} must be true or false.")


def moment(query, parameter) -> datetime:
    try:
        return parse_iso(query[parameter])
    except ValueError:
        raise bad_parameter(parameter, f"{parameter} must be an ISO 8601 date-time.") from None
