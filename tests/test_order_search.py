"""The search box: an order by id, by a piece of its reference, or by digits of any of its
numbers, answered by the trigram indexes on SQLite (FTS5) and PostgreSQL (pg_trgm)."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from orders.models import Order, PhoneNumber
from orders.selectors import order_list
from tests.helpers import page_html

LIST = reverse("order_list")


def _numbers(order: Order, *e164s: str) -> None:
    """Gives the order's numbers these E.164s (the search index follows by trigger)."""
    for number, e164 in zip(order.phone_numbers.order_by("id"), e164s, strict=True):
        number.phone_number, number.digits = e164, e164.removeprefix("+")
        number.save(update_fields=["phone_number", "digits"])


@pytest.fixture
def orders(order_factory) -> dict[str, Order]:
    geneva = order_factory(customer_reference="Geneva-Office-2025", numbers=2)
    zurich = order_factory(customer_reference="ZRH-HQ", numbers=2)
    berlin = order_factory(customer_reference="berlin 4471", numbers=1, country="DE")
    _numbers(geneva, "+41225550199", "+41225550200")
    _numbers(zurich, "+41215470001", "+41215470002")
    _numbers(berlin, "+49301234567")
    return {"geneva": geneva, "zurich": zurich, "berlin": berlin}


def _found(client, q: str, **filters: str) -> set[str]:
    html = page_html(client, LIST, {"q": q, **filters})
    return set(re.findall(r'<td class="reference"><a href="/orders/[0-9a-f-]+/">([^<]+)</a>', html))


def test_search_by_full_order_id(support_client, orders):
    assert _found(support_client, str(orders["zurich"].id)) == {"ZRH-HQ"}
    assert _found(support_client, f"  {orders['berlin'].id}  ") == {"berlin 4471"}


def test_search_by_piece_of_reference_ignores_case(support_client, orders):
    assert _found(support_client, "office") == {"Geneva-Office-2025"}
    assert _found(support_client, "zrh-h") == {"ZRH-HQ"}
    assert _found(support_client, "BERLIN") == {"berlin 4471"}


def test_search_by_full_e164_number(support_client, orders):
    assert _found(support_client, "+41215470001") == {"ZRH-HQ"}
    assert _found(support_client, "41215470001") == {"ZRH-HQ"}


def test_search_by_last_four_digits(support_client, orders):
    assert _found(support_client, "0199") == {"Geneva-Office-2025"}


def test_search_by_digits_from_the_middle(support_client, orders):
    assert _found(support_client, "1234") == {"berlin 4471"}
    assert _found(support_client, "55501") == {"Geneva-Office-2025"}


@pytest.mark.parametrize(
    "q", ["+41 21 547", "+41-21-547", "(21) 547-0001", "21 547 00 01", "21.547"]
)
def test_search_ignores_spaces_dashes_and_parentheses(support_client, orders, q):
    assert _found(support_client, q) == {"ZRH-HQ"}


def test_digits_also_find_references(support_client, orders):
    # "4471" is in berlin's reference, not in any number.
    assert _found(support_client, "4471") == {"berlin 4471"}


def test_leading_plus_searches_numbers_only(support_client, orders, order_factory):
    _numbers(order_factory(customer_reference="CALL +4930", numbers=1), "+33100000000")

    assert _found(support_client, "+4930") == {"berlin 4471"}


def test_fewer_than_three_digits_search_references_only(support_client, orders):
    # "15" is in Zurich's numbers, but too short to search numbers with.
    assert _found(support_client, "15") == set()
    assert _found(support_client, "44") == {"berlin 4471"}
    assert order_list.search_digits("41") is None
    assert order_list.search_digits("+4 1") is None
    assert order_list.search_digits("+41 (21) 547-00.01") == "41215470001"


def test_search_finds_nothing_for_unknown_digits(support_client, orders):
    assert _found(support_client, "98765") == set()
    assert b"No order matches these filters." in support_client.get(LIST, {"q": "98765"}).content


def test_search_combines_with_filters(support_client, orders):
    assert _found(support_client, "+412") == {"Geneva-Office-2025", "ZRH-HQ"}
    assert _found(support_client, "+412", country="DE") == set()
    assert _found(support_client, "+412", country="CH") == {"Geneva-Office-2025", "ZRH-HQ"}


def test_search_treats_like_wildcards_as_text(support_client, orders):
    assert _found(support_client, "%") == set()
    assert _found(support_client, "_") == set()


def test_order_with_many_matching_numbers_is_listed_once(support_client, order_factory):
    order = order_factory(numbers=5, customer_reference="MANY")

    html = support_client.get(LIST, {"q": "4121547"}).content.decode()

    assert html.count(f'href="/orders/{order.id}/"') == 2  # the row's date and reference links
    assert "1 order" in html


def test_broad_search_gives_the_same_orders(support_client, orders, monkeypatch):
    # Past the limit the search stays a subquery instead of a list of ids.
    monkeypatch.setattr(order_list, "SEARCH_IDS_LIMIT", 1)

    assert _found(support_client, "+412") == {"Geneva-Office-2025", "ZRH-HQ"}
    assert _found(support_client, "0199") == {"Geneva-Office-2025"}


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test tables are tiny: make a sequential scan look as dear as it is at scale.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


def test_number_search_uses_the_trigram_index(orders):
    plan = _plan(order_list.order_search_ids(q="4121547"))

    if connection.vendor == "sqlite":
        # FTS5 answered the LIKE from its trigram index (constraint "L" on column 0).
        assert "orders_phonenumber_search VIRTUAL TABLE INDEX 0:L0" in plan
    else:
        assert "phonenumber_digits_trgm" in plan


def test_reference_search_uses_the_trigram_index(orders):
    plan = _plan(order_list.order_search_ids(q="office"))

    if connection.vendor == "sqlite":
        assert "orders_order_reference_search VIRTUAL TABLE INDEX 0:L0" in plan
    else:
        assert "order_reference_trgm" in plan


def test_reference_search_index_follows_reference_changes(support_client, orders):
    Order.objects.filter(pk=orders["zurich"].pk).update(customer_reference="Basel-Depot")

    assert _found(support_client, "depot") == {"Basel-Depot"}
    assert _found(support_client, "ZRH") == set()

    Order.objects.filter(pk=orders["zurich"].pk).delete()
    assert _found(support_client, "depot") == set()


def test_search_index_follows_number_changes(support_client, orders):
    _numbers(orders["zurich"], "+41449990000", "+41449990001")

    assert _found(support_client, "547000") == set()
    assert _found(support_client, "999000") == {"ZRH-HQ"}

    PhoneNumber.objects.filter(order=orders["zurich"]).delete()
    assert _found(support_client, "999000") == set()


def test_htmx_search_returns_only_the_table(support_client, orders):
    response = support_client.get(LIST, {"q": "0199"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html
    assert "Geneva-Office-2025" in html
    assert "ZRH-HQ" not in html
