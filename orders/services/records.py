"""The cache of the account's own records (addresses, documents): their JSON read into columns,
and a whole listing stored, forgetting what Telnyx no longer lists."""

import logging
from collections.abc import Callable, Iterable

from django.db import models
from django.utils import timezone

from orders.services.telnyx_data import as_text, parse_timestamp
from orders.services.telnyx_fields import clean_text
from orders.telnyx import TelnyxError

logger = logging.getLogger(__name__)


def record_fields(model: type[models.Model], data: dict, names: Iterable[str]) -> dict:
    """The text columns `names` of `model` from Telnyx's JSON (NUL bytes dropped, cut to the
    column's length: Telnyx can send anything), with its timestamps and our synced_at."""
    fields = {
        name: clean_text(as_text(data.get(name)), model._meta.get_field(name).max_length)
        for name in names
    }
    return fields | {
        "created_at": parse_timestamp(as_text(data.get("created_at"))),
        "updated_at": parse_timestamp(as_text(data.get("updated_at"))),
        "synced_at": timezone.now(),
    }


def records_refresh(
    *, listed: Iterable[dict], store: Callable[..., models.Model], model: type[models.Model]
) -> int:
    """Stores every record of a listing with `store(data=...)` and forgets the cached ones it
    did not hold; returns how many were stored. A record that cannot be read is left out
    (logged); a failed listing (TelnyxError) forgets nothing."""
    started = timezone.now()
    stored = 0
    for data in listed:
        try:
            store(data=data)
        except TelnyxError as error:
            logger.warning("%s: one left out: %s", model._meta.verbose_name_plural, error)
            continue
        stored += 1
    model.objects.filter(synced_at__lt=started).delete()
    return stored
