"""The page regions HTMX swaps by id (orders/regions.py): each partial is rooted at its id."""

import re
import uuid

from django.template.loader import render_to_string
from django.urls import reverse

from orders.models import BulkFix
from orders.regions import Region

# The regions rendered with the list page's or a bulk fix page's context; the others with an
# order page's.
ON_THE_LIST_PAGE = {"orders/order_list.html", "orders/includes/changes_poller.html"}
ON_A_BULK_FIX_PAGE = {"orders/bulk_fix_detail.html"}


def _page_of(region: Region) -> str:
    if region.template in ON_THE_LIST_PAGE:
        return "list"
    return "bulk fix" if region.template in ON_A_BULK_FIX_PAGE else "order"


def _root(html: str) -> str:
    """The first element's start tag."""
    found = re.match(r"\s*<[a-z]+\b[^>]*>", html)
    return found.group().strip() if found else f"no element first: {html[:60]!r}"


def test_every_region_is_the_root_element_of_its_partial(manager_client, order_factory):
    order = order_factory()
    bulk_fix = BulkFix.objects.create(
        username="manager", requirement_id=uuid.uuid4(), value="business", group_key="group"
    )
    pages = {}
    for page, url in (
        ("list", reverse("order_list")),
        ("order", reverse("order_detail", args=[order.pk])),
        ("bulk fix", reverse("bulk_fix_detail", args=[bulk_fix.pk])),
    ):
        # As a manager sees them, every form and region shown.
        response = manager_client.get(url)
        assert response.status_code == 200
        pages[page] = (response.context[0].flatten(), response.wsgi_request)

    roots = {}
    for region in Region:
        context, request = pages[_page_of(region)]
        roots[region] = _root(render_to_string(region.partial, context, request))

    assert {
        region: root for region, root in roots.items() if f' id="{region.id}"' not in root
    } == {}
