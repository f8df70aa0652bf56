"""What the requirements form's address and document pickers show: each requirement's current
and chosen values as people read them, and the cached records matching what was searched."""

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from orders.models import FieldType
from orders.selectors.addresses import AddressScope, address_label, address_labels, address_search
from orders.selectors.documents import document_search, documents_by_id
from orders.selectors.order_page import OrderDetail, RequirementSummary

# Telnyx's criteria asking for an address in the numbers' own locality say so in these words.
_SAME_LOCALITY = ("identical locality", "same locality")


@dataclass
class Option:
    """One record a picker offers: its id (the requirement's value) and how people read it."""

    value: str
    label: str
    status: str = ""
    av_scan_status: str = ""
    is_document: bool = False


@dataclass
class Picker:
    requirement_id: UUID
    field_type: str
    field_name: str  # the requirements form's input for this requirement
    search_text: str
    chosen: str  # the value the form holds: Telnyx's, or the one picked
    known: list[Option] = field(default_factory=list)  # current values, and the chosen one
    results: list[Option] = field(default_factory=list)
    scope: AddressScope | None = None
    # The view's AddressForm for a new address (address requirements only).
    address_form: object = None

    @property
    def key(self) -> str:
        return self.requirement_id.hex


def requirement_scope(*, detail: OrderDetail, summary: RequirementSummary) -> AddressScope:
    """The country of the requirement's numbers, and their locality when the criteria want an
    address there; each left open when the numbers do not share one."""
    numbers = set(summary.numbers)
    rows = [
        (sub.sub_order.country_code, number.locality)
        for sub in detail.sub_orders
        for number in sub.numbers
        if number.phone_number in numbers
    ]
    countries = {country for country, _ in rows}
    localities = {locality for _, locality in rows}
    criteria = summary.definition.acceptance_criteria if summary.definition else {}
    limit = str(criteria.get("locality_limit", "")).lower() if isinstance(criteria, dict) else ""
    local = any(words in limit for words in _SAME_LOCALITY)
    return AddressScope(
        country_code=countries.pop() if len(countries) == 1 else "",
        locality=localities.pop() if local and len(localities) == 1 else "",
    )


def _document_option(value: str, document) -> Option:
    if document is None:
        return Option(value, "A document not cached", is_document=False)
    return Option(
        value,
        document.filename or "(no file name)",
        status=document.status,
        av_scan_status=document.av_scan_status,
        is_document=True,
    )


def _chosen(summary: RequirementSummary, chosen: Mapping[UUID, str]) -> str:
    """What the form holds for the requirement: the value picked, else Telnyx's."""
    return chosen.get(summary.requirement_id, "") or summary.current_value


def requirement_pickers(
    *,
    detail: OrderDetail,
    summaries: list[RequirementSummary],
    field_names: Mapping[UUID, str],
    searches: Mapping[UUID, str],
    chosen: Mapping[UUID, str],
) -> dict[UUID, Picker]:
    """A picker for each address and document requirement among `summaries`: the records
    their values name read at once, and one search for each different search."""
    wanted = [s for s in summaries if s.field_type in (FieldType.ADDRESS, FieldType.DOCUMENT)]
    # The requirement's current values and the one chosen, each once.
    known = {
        s.requirement_id: [v for v in dict.fromkeys([*s.values, _chosen(s, chosen)]) if v]
        for s in wanted
    }
    values = {value for values in known.values() for value in values}
    labels = address_labels(values)
    documents = documents_by_id(values)
    find_addresses = functools.cache(lambda text, scope: address_search(text=text, scope=scope))
    find_documents = functools.cache(lambda text: document_search(text=text))
    pickers = {}
    for summary in wanted:
        values = known[summary.requirement_id]
        text = searches.get(summary.requirement_id, "")
        picker = Picker(
            summary.requirement_id,
            summary.field_type,
            field_names[summary.requirement_id],
            text,
            _chosen(summary, chosen),
        )
        if summary.field_type == FieldType.ADDRESS:
            picker.scope = requirement_scope(detail=detail, summary=summary)
            picker.known = [
                Option(value, labels.get(value, f"Address {value} (not cached)"))
                for value in values
            ]
            picker.results = [
                Option(address.pk, address_label(address))
                for address in find_addresses(text, picker.scope)
                if address.pk not in values
            ]
        else:
            picker.known = [_document_option(value, documents.get(value)) for value in values]
            picker.results = [
                _document_option(str(document.pk), document)
                for document in find_documents(text)
                if str(document.pk) not in values
            ]
        pickers[summary.requirement_id] = picker
    return pickers


@dataclass(frozen=True)
class ValueLabel:
    """How people read a requirement value that is a record's id; `document_id` when the file
    can be downloaded."""

    text: str
    document_id: str = ""


def value_labels(*, detail: OrderDetail) -> dict[str, ValueLabel]:
    """Address and document values of the order's numbers -> how people read them (two
    queries at most)."""
    by_type: dict[str, set[str]] = {FieldType.ADDRESS: set(), FieldType.DOCUMENT: set()}
    numbers = [number for sub in detail.sub_orders for number in sub.numbers]
    for number in [*numbers, *detail.unassigned_numbers]:
        for row in number.requirements:
            if row.field_type in by_type and row.field_value:
                by_type[row.field_type].add(row.field_value)
    labels = {
        value: ValueLabel(text)
        for value, text in address_labels(by_type[FieldType.ADDRESS]).items()
    }
    for value, document in documents_by_id(by_type[FieldType.DOCUMENT]).items():
        status = document.status or "no status"
        labels[value] = ValueLabel(f"{document.filename} ({status})", document_id=value)
    return labels
