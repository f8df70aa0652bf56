"""The cache of the account's addresses: refreshed from Telnyx, and created there by managers."""

import itertools
from datetime import timedelta
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from orders.models import Address, AuditEntry, AuditOutcome
from orders.services.audit import (
    audit_complete,
    audit_completed,
    audit_failed,
    audit_write,
    error_sources,
    sent_request,
)
from orders.services.fetch import client_scope
from orders.services.records import record_fields, records_refresh
from orders.services.telnyx_data import as_text, malformed
from orders.telnyx import TelnyxClient, TelnyxError

# What a picker's search asks Telnyx for at most: one page.
PICKER_PAGE = 20
# Addresses change rarely: a sync walks them again only once this old.
ADDRESSES_MAX_AGE = timedelta(hours=1)
# The text fields of Address that Telnyx's JSON has under the same names.
ADDRESS_TEXT_FIELDS = (
    "first_name",
    "last_name",
    "business_name",
    "street_address",
    "extended_address",
    "locality",
    "administrative_area",
    "postal_code",
    "country_code",
    "customer_reference",
)


def address_store(*, data: dict) -> Address:
    """Caches one address as Telnyx sent it. Raises TelnyxError("malformed") when it has no
    usable id."""
    with malformed("address"):
        address_id = as_text(data["id"])
        if not (address_id.isascii() and address_id.isdigit()) or len(address_id) > 20:
            raise ValueError(f"not an address id: {address_id[:40]!r}")
    fields = record_fields(Address, data, ADDRESS_TEXT_FIELDS)
    fields["country_code"] = fields["country_code"].upper()
    address, _ = Address.objects.update_or_create(pk=address_id, defaults=fields)
    return address


def addresses_sync(*, client: TelnyxClient | None = None, force: bool = False) -> int | None:
    """Caches every address of the account, forgetting those Telnyx no longer lists; skipped
    (None) while the cache is younger than ADDRESSES_MAX_AGE unless `force`. Returns how many
    were seen. Raises TelnyxError, having forgotten nothing, when the walk fails."""
    newest = Address.objects.order_by("-synced_at").values_list("synced_at", flat=True).first()
    if not force and newest and timezone.now() - newest < ADDRESSES_MAX_AGE:
        return None
    with client_scope(client) as telnyx:
        return records_refresh(listed=telnyx.list_addresses(), store=address_store, model=Address)


def addresses_fetch(*, text: str, client: TelnyxClient | None = None) -> int:
    """Asks Telnyx for the addresses whose street holds `text` (3 characters or more, as Telnyx
    requires) or whose customer reference is `text`, and caches them: a picker's search that
    the cache cannot answer, say for an address made elsewhere since the last sync. Returns how
    many were found; raises TelnyxError."""
    if len(text.strip()) < 3:
        return 0
    found = 0
    with client_scope(client, interactive=True) as telnyx:
        for listed in (
            telnyx.list_addresses(street_address_contains=text.strip(), page_size=PICKER_PAGE),
            telnyx.list_addresses(customer_reference=text.strip(), page_size=PICKER_PAGE),
        ):
            for data in itertools.islice(listed, PICKER_PAGE):
                try:
                    address_store(data=data)
                except TelnyxError:
                    continue
                found += 1
    return found


class AddressRefused(Exception):
    """Telnyx did not create the address: `problems` by field name ("" for the whole form)."""

    def __init__(self, message: str, *, problems: dict[str, list[str]], retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems
        self.retryable = retryable


def _field_problems(error: TelnyxError, fields: dict) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for pointer, text in error_sources(error):
        name = (pointer or "").strip("/")
        problems.setdefault(name if name in fields else "", []).append(text or "Refused.")
    return problems


def address_create(
    *,
    user: AbstractBaseUser,
    order_id: UUID,
    fields: dict[str, str],
    client: TelnyxClient | None = None,
) -> Address:
    """Creates an address at Telnyx (`fields`: Telnyx's AddressCreate) while fixing the
    requirements of order `order_id`, caches it and audits the attempt.

    Raises AddressRefused, with Telnyx's refusals by field, when it was not created."""
    sent = {name: value for name, value in fields.items() if value}
    entry = audit_write(
        user=user,
        outcome=AuditOutcome.PENDING,
        action=AuditEntry.Action.ADDRESS_CREATE,
        order_id=order_id,
        sent=sent_request("POST", "/addresses", sent),
    )
    with audit_completed(entry), client_scope(client, interactive=True) as telnyx:
        try:
            data = telnyx.create_address(sent)
            with transaction.atomic():
                address = address_store(data=data)
        except TelnyxError as error:
            unknown = audit_failed(entry, error)
            problems = _field_problems(error, sent)
            if unknown:
                message = (
                    f"{error} The address may have been created at Telnyx anyway: search for it "
                    "before trying again."
                )
            elif problems and not error.retryable:
                message = "Telnyx refused the address: see the fields marked."
            else:
                message = f"{error} No address was created; try again."
            raise AddressRefused(message, problems=problems, retryable=error.retryable) from error
        audit_complete(
            entry, outcome=AuditOutcome.SUCCESS, after={"id": address.pk, "address": str(address)}
        )
    return address
