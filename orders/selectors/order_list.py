"""Reads for the order list: its filters, sorts and search (whose indexes differ per database)."""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Exists, F, OuterRef, QuerySet
from django.db.models.expressions import OrderBy, RawSQL
from django.utils import timezone

from orders.deadlines import deadline_in
from orders.models import Order, PhoneNumber, SubOrder

# The sort keys the list accepts (anything else falls back to the default, newest first).
SORTS = {
    # The id settles ties, so that no order shows on two pages or on none.
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "reference": ("customer_reference", "-created_at"),
    "-reference": ("-customer_reference", "-created_at"),
    "status": ("status", "-created_at"),
    "numbers": ("phone_numbers_count", "-created_at"),
    "-numbers": ("-phone_numbers_count", "-created_at"),
    # Orders without a deadline (none of their numbers awaits anything) come last either way.
    "deadline": (F("deadline").asc(nulls_last=True), "id"),
    "-deadline": (F("deadline").desc(nulls_last=True), "-id"),
}
DEFAULT_SORT = "-created"


def sort_terms(sort: str, *, via: str = "") -> tuple:
    """The order_by terms of the list's `sort` (the default for an unknown one): on orders, or
    on rows that reach them through `via` (the numbers' export: "order__")."""
    terms = SORTS.get(sort, SORTS[DEFAULT_SORT])
    return tuple(_through(term, via) for term in terms) if via else terms


def _through(term: str | OrderBy, via: str) -> str | OrderBy:
    if isinstance(term, str):
        return f"-{via}{term[1:]}" if term.startswith("-") else f"{via}{term}"
    moved = term.copy()
    moved.set_source_expressions([F(via + term.expression.name)])
    return moved


# Trigram indexes need three characters; shorter runs of digits would match nearly everything.
MIN_SEARCH_DIGITS = 3
# A search is the costly part of a list query. Up to this many matches it is resolved once into
# a list of ids, rather than run again for the paginator's count and for the page; broader
# searches stay a subquery (passing more ids as parameters costs more than it saves).
SEARCH_IDS_LIMIT = 1000
# What people type between the digits of a phone number: "+41 (21) 547-00.01".
_NUMBER_PUNCTUATION = re.compile(r"[\s+\-().\/]")


def search_digits(q: str) -> str | None:
    """The digits to look for in phone numbers, or None when `q` is not a phone number search."""
    digits = _NUMBER_PUNCTUATION.sub("", q)
    if len(digits) >= MIN_SEARCH_DIGITS and digits.isascii() and digits.isdigit():
        return digits
    return None


def _numbers_containing(digits: str) -> QuerySet[PhoneNumber]:
    """Phone numbers whose digits contain `digits`, found through the trigram index."""
    if connection.vendor == "sqlite":
        # The FTS5 trigram table of migration 0002 (rowid = phone number id) answers LIKE from
        # its index; the ORM cannot name a virtual table. `digits` is 0-9 only: nothing to escape.
        return PhoneNumber.objects.filter(
            pk__in=RawSQL(
                "SELECT rowid FROM orders_phonenumber_search WHERE digits LIKE %s",
                (f"%{digits}%",),
            )
        )
    # PostgreSQL: the GIN pg_trgm index on digits answers `LIKE '%...%'`.
    return PhoneNumber.objects.filter(digits__contains=digits)


def _orders_with_reference_containing(text: str) -> QuerySet[Order]:
    if connection.vendor == "sqlite" and not ({"%", "_"} & set(text)):
        # The FTS5 trigram table of migration 0007 answers LIKE from its index (case-insensitive,
        # like icontains). Text with LIKE wildcards takes the ORM's escaped path below.
        return Order.objects.order_by().filter(
            pk__in=RawSQL(
                "SELECT order_id FROM orders_order_reference_search"
                " WHERE customer_reference LIKE %s",
                (f"%{text}%",),
            )
        )
    # PostgreSQL: the GIN pg_trgm index on UPPER(customer_reference) answers icontains.
    return Order.objects.order_by().filter(customer_reference__icontains=text)


def order_search_ids(*, q: str) -> QuerySet:
    """Ids of the orders the search box finds for `q`, as a subquery.

    An order matches by its full id, by a case-insensitive piece of its customer reference, or
    by any run of at least three digits of one of its phone numbers (spaces, dashes, dots and
    parentheses ignored). A leading '+' makes it a phone number search only.
    """
    q = q.strip()
    orders = Order.objects.order_by()
    order_id = _parse_uuid(q)
    if order_id is not None:
        return orders.filter(id=order_id).values_list("id", flat=True)
    by_reference = _orders_with_reference_containing(q).values_list("id", flat=True)
    digits = search_digits(q)
    if digits is None:
        return by_reference
    numbers = _numbers_containing(digits).order_by().values_list("order_id", flat=True)
    if q.startswith("+"):
        # "+41 21 ..." is a phone number, not a reference.
        return numbers
    # A UNION lets each part use its own index; an OR of the two makes both databases test
    # every order against the number subquery.
    return by_reference.union(numbers).order_by()


def _ids(ids: list[uuid.UUID]) -> list[uuid.UUID] | RawSQL:
    """`ids` for an `__in` filter. On PostgreSQL one array parameter: as a list, Django
    converts each id and psycopg adapts it as a parameter of its own, for the count and again
    for the page."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::uuid[])", (ids,))
    return ids


def _parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


class _EveryOrder:
    """Counts every order: on PostgreSQL from the total that migration 0009's triggers keep,
    where count(*) would visit an index entry per order on each page of the unfiltered list."""

    def count(self) -> int:
        if connection.vendor != "postgresql":
            return Order.objects.count()
        with connection.cursor() as cursor:
            cursor.execute("SELECT total FROM orders_order_total")
            return cursor.fetchone()[0]


@dataclass(frozen=True)
class OrderList:
    """The list's orders, filtered and sorted, for a Paginator: it counts `counted` and takes
    its pages from `rows`, two forms of the same filter that differ only where the best plan
    differs. SQLite answers a correlated EXISTS cheaply for one page (it walks the sort index
    and stops at 50 rows) but probes it once per order when counting, where an IN list probes
    once per match.

    A page is one query in two steps: the ids of the page from the sort's index alone, then
    those rows. OFFSET steps over every row before the page, and stepping over index entries
    costs a fraction of fetching whole rows (which PostgreSQL reads from the heap).
    """

    rows: QuerySet[Order]
    counted: QuerySet | _EveryOrder
    # What the list shows: loading no more keeps a page of rows cheap.
    fields: Sequence[str]
    ordered = True  # the Paginator warns about unordered lists

    def count(self) -> int:
        return self.counted.count()

    def __getitem__(self, window: slice) -> list[Order]:
        page = Order.objects.filter(pk__in=self.rows.values("pk")[window])
        return list(page.only(*self.fields).order_by(*self.rows.query.order_by))


def order_list(
    *,
    fields: Sequence[str],
    status: str | None = None,
    requirements_met: bool | None = None,
    country: str | None = None,
    number_type: str | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    deadline: str = "",
    q: str = "",
    sort: str = DEFAULT_SORT,
) -> OrderList:
    """The orders for the list page, filtered, searched and sorted (dates inclusive; `deadline` a
    DeadlineWindow, on the order_deadline index); a page of them loads `fields` only."""
    orders = Order.objects.all()
    if status:
        orders = orders.filter(status=status)
    if requirements_met is not None:
        orders = orders.filter(requirements_met=requirements_met)
    if created_from:
        orders = orders.filter(created_at__gte=_start_of_day(created_from))
    if created_to:
        orders = orders.filter(created_at__lt=_start_of_day(created_to + timedelta(days=1)))
    if deadline:
        orders = orders.filter(deadline_in(deadline))
    if q.strip():
        search = order_search_ids(q=q)
        found = list(search[: SEARCH_IDS_LIMIT + 1])
        orders = orders.filter(id__in=_ids(found) if len(found) <= SEARCH_IDS_LIMIT else search)
    counted = orders if orders.query.has_filters() else _EveryOrder()
    if country or number_type:
        # Country and type of the same sub order: "CH local" means CH's local numbers.
        sub_orders = SubOrder.objects.all()
        if country:
            sub_orders = sub_orders.filter(country_code=country)
        if number_type:
            sub_orders = sub_orders.filter(phone_number_type=number_type)
        order_ids = sub_orders.values("order_id")
        # Filtered by sub orders alone, the count needs no order rows at all.
        counted = (
            orders.filter(id__in=order_ids)
            if orders.query.has_filters()
            else order_ids.order_by().distinct()
        )
        orders = orders.filter(Exists(sub_orders.filter(order=OuterRef("pk"))))
    rows = orders.order_by(*sort_terms(sort))
    return OrderList(rows=rows, counted=counted, fields=fields)
