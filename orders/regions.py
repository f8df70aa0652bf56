"""The page regions HTMX swaps by id: each one's element id and the partial rooted at it."""

from collections.abc import Iterable
from enum import Enum


class Region(Enum):
    """A region of a page: `id` is the id of the root element of `partial` ("template#name", or a
    whole template). Views render `partial`; templates write the id and the selectors through
    the orders_ui tags region_id, region_selector, action_oob and live_regions."""

    # The order page.
    ORDER_PANEL = "order-panel", "orders/order_detail.html#order-panel"
    SUB_ORDERS = "sub-orders", "orders/order_detail.html#sub-orders"
    NUMBERS = "numbers", "orders/order_detail.html#numbers"
    NUMBER_GROUPS = "number-groups", "orders/order_detail.html#number-groups"
    REQUIREMENTS = "requirements", "orders/order_actions.html#requirements"
    CANCEL_PANEL = "cancel-panel", "orders/order_actions.html#cancel-panel"
    HISTORY = "history", "orders/order_actions.html#history"
    # The order list: the table, and what follows it out of band.
    ORDER_TABLE = "order-table", "orders/order_list.html#table"
    FILTER_ERRORS = "filter-errors", "orders/order_list.html#filter-errors"
    SORT_FIELD = "id_sort", "orders/order_list.html#sort-field"
    # Every page.
    CHANGES_POLLER = "changes-poller", "orders/includes/changes_poller.html"
    MESSAGES = "messages", "base.html#messages"
    SYNC_FRESHNESS = "sync-freshness", "base.html#freshness"
    STALE_BANNER = "stale-banner", "base.html#stale-banner"

    def __init__(self, id: str, partial: str) -> None:
        self.id = id
        self.partial = partial

    @property
    def selector(self) -> str:
        return f"#{self.id}"

    @property
    def template(self) -> str:
        """The whole page the region is part of."""
        return self.partial.partition("#")[0]


# The regions of the order page an action can change: an action's HTMX answer may hold any of
# them, and each action's form takes those besides its own target out of band.
ACTION_REGIONS = (
    Region.ORDER_PANEL,
    Region.SUB_ORDERS,
    Region.NUMBERS,
    Region.REQUIREMENTS,
    Region.CANCEL_PANEL,
    Region.HISTORY,
)
# What an open order page fetches again when the order changed elsewhere (a webhook, a sync,
# someone else's action): every region but the forms, which may hold what someone is typing.
LIVE_REGIONS = (Region.ORDER_PANEL, Region.SUB_ORDERS, Region.NUMBERS, Region.HISTORY)


def selector_list(regions: Iterable[Region]) -> str:
    """The regions as one CSS selector list, for hx-select-oob: "#order-panel,#history"."""
    return ",".join(region.selector for region in regions)
