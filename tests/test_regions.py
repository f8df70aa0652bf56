"""The page regions HTMX swaps by id (orders/regions.py): each partial is rooted at its id."""

import re

from django.template.loader import render_to_string
from django.urls import reverse

from orders.regions import Region

# The regions rendered with the list page's context; the others with an order page's.
ON_THE_LIST_PAGE = {"orders/order_list.html", "orders/includes/changes_poller.html"}


def _root(html: str) -> str:
    """The first element's start tag."""
    found = re.match(r"\s*<[a-z]+\b[^>]*>", html)
    return found.group().strip() if found else f"no element first: {html[:60]!r}"


def test_every_region_is_the_root_element_of_its_partial(manager_client, order_factory):
    order = order_factory()
    pages = {}
    for on_list, url in (
        (True, reverse("order_list")),
        (False, reverse("order_detail", args=[order.pk])),
    ):
        # As a manager sees them, every form and region shown.
        response = manager_client.get(url)
        assert response.status_code == 200
        pages[on_list] = (response.context[0].flatten(), response.wsgi_request)

    roots = {}
    for region in Region:
        context, request = pages[region.template in ON_THE_LIST_PAGE]
        roots[region] = _root(render_to_string(region.partial, context, request))

    assert {
        region: root for region, root in roots.items() if f' id="{region.id}"' not in root
    } == {}
