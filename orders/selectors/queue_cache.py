"""The queue's page and totals kept in Django's cache under the orders' change token, so that
views between two changes to the orders read the queue's rows (and check they are caught up)
once.

Every write to an order, its numbers or their requirement values goes through orders_store(),
which moves the order's changed_at (so the token); marking an order gone and counting its unread
comments move it too. The token is read by the caller before the rows: a change committed
while they are read leaves an entry under the old token, which the next view does not ask
for. What the entries hold is the groups' rows only: labels and Telnyx's reasons are read
afresh on each view. TIMEOUT bounds what no token sees: a writer whose changed_at is older than
a concurrent writer's, committing after it.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.cache import cache

# Seconds an entry is used at most, whatever the token says.
TIMEOUT = 60


def _key(kind: str, token: int, parts: dict) -> str:
    text = json.dumps([kind, token, parts], sort_keys=True, default=str)
    return f"queue:{kind}:{hashlib.sha256(text.encode()).hexdigest()}"


def remembered(
    kind: str,
    *,
    token: int,
    parts: dict,
    compute: Callable[[], Any],
    until: Callable[[Any], datetime | None] | None = None,
    now: datetime | None = None,
) -> Any:
    """compute()'s value, from the cache when it holds one for (kind, token, parts). `until(value)`
    is when a value computed at `now` stops being true although nothing changed (a deadline
    passing), None for never; such a value is used from `now` until then only."""
    key = _key(kind, token, parts)
    found = cache.get(key)
    if found is not None:
        value, since, expires = found
        if expires is None or (now is not None and since <= now < expires):
            return value
    value = compute()
    cache.set(key, (value, now, until(value) if until else None), TIMEOUT)
    return value
