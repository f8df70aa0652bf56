"""Reads of the cached documents: the picker's search and what current values show."""

from collections.abc import Iterable
from uuid import UUID

from django.db.models import Q

from orders.models import Document

PICKER_RESULTS = 20


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except (TypeError, ValueError):
        return None


def documents_by_id(ids: Iterable[str]) -> dict[str, Document]:
    """Document id (as text, as requirement values hold it) -> the cached document (one query)."""
    wanted = {parsed: value for value in ids if value and (parsed := _uuid(value))}
    if not wanted:
        return {}
    found = Document.objects.in_bulk(list(wanted))
    return {value: found[parsed] for parsed, value in wanted.items() if parsed in found}


def document_search(*, text: str, limit: int = PICKER_RESULTS) -> list[Document]:
    """The cached documents whose file name or customer reference holds `text` (the newest
    first)."""
    found = Document.objects.all()
    text = text.strip()
    if text:
        found = found.filter(Q(filename__icontains=text) | Q(customer_reference__icontains=text))
    return list(found.order_by("-created_at", "pk")[:limit])
