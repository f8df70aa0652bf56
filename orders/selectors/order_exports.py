"""Reads for the CSV exports of the order list and of an order's numbers: a row per requirement
value of each number (a number without any has one row too), read in chunks, and the labels
that say in words what a row holds as ids."""

from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

from django.db.models import QuerySet

from orders.models import Address, Document, FieldType, PhoneNumber, RequirementDefinition
from orders.selectors.addresses import address_label
from orders.selectors.number_groups import NumberFilter
from orders.selectors.order_list import DEFAULT_SORT, order_list, sort_terms
from orders.selectors.stored_text import IdText, UtcText
from orders.selectors.streaming import rows_streamed

# A row's fields: its number's and order's, then one of the number's requirement values (a LEFT
# JOIN: all None for a number without any).
EXPORT_FIELDS = (
    "order__customer_reference",
    "order__status",
    "phone_number",
    "country_code",
    "phone_number_type",
    "status",
    "requirements__field_type",
    "requirements__field_value",
    "requirements__status",
)
# And its ids and time as text (orders.selectors.stored_text).
EXPORT_TEXT = {
    "order_text": IdText("order_id"),
    "requirement_text": IdText("requirements__requirement_id"),
    "deadline_text": UtcText("deadline"),
}
# An order's numbers as its page groups them, each number's values together.
NUMBER_ORDER = ("country_code", "phone_number_type", "phone_number", "requirements__requirement_id")


def _rows(numbers: QuerySet[PhoneNumber], *order_by) -> Iterator[tuple]:
    return rows_streamed(
        numbers.annotate(**EXPORT_TEXT)
        .order_by(*order_by, *NUMBER_ORDER)
        .values_list(*EXPORT_FIELDS, *EXPORT_TEXT, named=True)
    )


def order_export_rows(*, sort: str = DEFAULT_SORT, **filters) -> Iterator[tuple]:
    """The rows (named tuples of EXPORT_FIELDS, "__" kept in the names, and EXPORT_TEXT) of
    every number of the orders the list shows for `filters` (order_list's, all pages), sorted as
    the list, an order's rows together: one query, fetched in chunks as they are read."""
    orders = order_list(fields=(), sort=sort, **filters).rows
    numbers = PhoneNumber.objects.all()
    if orders.query.has_filters():
        # Unfiltered, every number is in: no semi-join to run over the whole table.
        numbers = numbers.filter(order__in=orders.order_by().values("pk"))
    return _rows(numbers, *sort_terms(sort, via="order__"), "order_id")


def order_numbers_export_rows(*, order_id: UUID, numbers_filter: NumberFilter) -> Iterator[tuple]:
    """The rows (as order_export_rows) of the order's numbers the order page's numbers filter
    keeps: one query, fetched in chunks."""
    return _rows(PhoneNumber.objects.filter(numbers_filter.where(), order_id=order_id))


@dataclass(frozen=True)
class ExportLabels:
    """What an export writes for the ids in its rows: a requirement's label, an address value's
    label and a document value's file name; an id not cached stays as it is."""

    requirements: dict[str, str]  # by id as text
    addresses: dict[str, str]
    documents: dict[str, str]

    def requirement(self, requirement_id: str | None) -> str:
        if requirement_id is None:
            return ""
        return self.requirements.get(requirement_id) or requirement_id

    def value(self, field_type: str | None, value: str | None) -> str:
        """A requirement value as people read it."""
        if not value:
            return ""
        if field_type == FieldType.ADDRESS:
            return self.addresses.get(value) or value
        if field_type == FieldType.DOCUMENT:
            return self.documents.get(value) or value
        return value


def requirement_labels() -> dict[str, str]:
    """Every cached requirement definition's label, by id as text (as the exports read ids):
    one query."""
    definitions = RequirementDefinition.objects.values_list("pk", "label")
    return {str(pk): label for pk, label in definitions}


def export_labels() -> ExportLabels:
    """Every cached requirement definition's label, address's label and document's file name,
    in three queries: the account has thousands of these whatever the rows, and a dict read up
    front spares the rows a join (or a query) each."""
    addresses = Address.objects.order_by().only(
        "business_name", "street_address", "postal_code", "locality", "country_code"
    )
    documents = Document.objects.order_by().exclude(filename="").values_list("pk", "filename")
    return ExportLabels(
        requirements=requirement_labels(),
        addresses={address.pk: address_label(address) for address in addresses.iterator()},
        documents={str(pk): filename for pk, filename in documents.iterator()},
    )
