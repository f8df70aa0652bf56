"""Routing: which endpoint answers a method and path below /v2, and which order a request is
about (so that per-order faults reach everything concerning that order)."""

import re
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.messages import ApiError, not_found

API_PREFIX = "/v2"


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    answer: Callable  # (box, request, *path groups) -> a JSON-able body or a Reply
    order_of: Callable | None = None  # (box, request, *path groups) -> order id or None

    @classmethod
    def of(cls, method: str, pattern: str, answer: Callable, order_of: Callable | None = None):
        return cls(method, re.compile(pattern), answer, order_of)


class Router:
    def __init__(self, routes: list[Route]):
        self.routes = routes

    def resolve(self, method: str, path: str) -> tuple[Route, tuple]:
        """The route and its path groups; a 405 when only the method is wrong, else a 404."""
        allowed = False
        for route in self.routes:
            match = route.pattern.fullmatch(path)
            if match and route.method == method:
                return route, match.groups()
            allowed = allowed or bool(match)
        if allowed:
            raise ApiError.one(
                405, "10015", "Bad Request", f"{method} is not supported on {API_PREFIX}{path}."
            )
        raise not_found()
