"""How the client spells list requests: Telnyx's page size and its query parameters."""

from datetime import datetime
from typing import Any

# Telnyx's largest page; fewer round trips for a full sync.
MAX_PAGE_SIZE = 250


def query(params: dict[str, Any]) -> dict[str, str]:
    """The query parameters that were given, with values spelled as Telnyx expects."""
    spelled = {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            spelled[name] = "true" if value else "false"
        elif isinstance(value, datetime):
            spelled[name] = value.isoformat()
        else:
            spelled[name] = str(value)
    return spelled
