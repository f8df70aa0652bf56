"""What every page's header reads: how fresh the cache is."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from orders.selectors.freshness import sync_freshness


def freshness(request: HttpRequest) -> dict:
    """How fresh the cache is, for the page header (read only when a template uses it: HTMX
    fragments, the login page and error pages do not), and how often open pages poll."""
    return {
        "sync_freshness": SimpleLazyObject(sync_freshness),
        "changes_poll_seconds": settings.CHANGES_POLL_SECONDS,
    }
