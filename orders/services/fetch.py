"""Fetching one order from Telnyx, with the requirement definitions the cache lacks.

Network only, no database: the sync runs it in worker threads while every write happens in the
calling thread.
"""

from collections.abc import Iterator, Set
from contextlib import contextmanager
from uuid import UUID

from orders.services.telnyx_data import OrderBundle, malformed, shared_uuid
from orders.telnyx import TelnyxClient, get_client


@contextmanager
def client_scope(
    client: TelnyxClient | None, *, interactive: bool = False
) -> Iterator[TelnyxClient]:
    """The caller's client, or a new one (`interactive`: with the time budget of a person
    waiting, see get_client) closed afterwards."""
    if client is not None:
        yield client
        return
    client = get_client(interactive=interactive)
    try:
        yield client
    finally:
        client.close()


def _requirement_ids(number: dict) -> set[UUID]:
    return {shared_uuid(r["requirement_id"]) for r in number.get("regulatory_requirements") or []}


def definitions_fetch(
    *, client: TelnyxClient | None, phone_numbers: list[dict], known: Set[UUID]
) -> list[dict]:
    """Definitions of the requirement ids not in `known`, asking about as few numbers as can be
    (and not at all, nor making a client, when every id is known).

    Numbers of one country and type share their requirements, so one number stands for every
    number whose unknown ids it already covers.
    """
    covered: set[UUID] = set()
    representatives = []
    for number in phone_numbers:
        unknown = _requirement_ids(number) - known
        if not unknown <= covered:
            representatives.append(number["phone_number"])
            covered |= unknown
    if not representatives:
        return []
    found: dict[UUID, dict] = {}
    with client_scope(client) as telnyx:
        answer = telnyx.list_phone_number_requirements(representatives)
    for entry in answer:
        for requirement in entry.get("regulatory_requirements") or []:
            requirement_id = UUID(requirement["id"])
            if requirement_id in covered:
                found.setdefault(requirement_id, requirement)
    return list(found.values())


def order_fetch(
    *,
    client: TelnyxClient,
    order_id: str,
    known_requirement_ids: Set[UUID],
    order: dict | None = None,
) -> OrderBundle:
    """Everything the cache holds about one order, from Telnyx. Touches no database: the sync
    runs it in worker threads. `order`: the whole order as Telnyx answered a write with, which
    spares fetching it again."""
    if order is None:
        order = client.get_number_order(str(order_id))
    sub_orders = client.list_sub_number_orders(order_id=str(order_id))
    with malformed(f"order {order_id}"):
        definitions = definitions_fetch(
            client=client,
            phone_numbers=order.get("phone_numbers") or [],
            known=known_requirement_ids,
        )
    return OrderBundle(order=order, sub_orders=sub_orders, definitions=definitions)
