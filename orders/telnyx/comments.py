"""The Telnyx client's comment calls: a record's thread, a new comment, marking one read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orders.telnyx.query import MAX_PAGE_SIZE

if TYPE_CHECKING:
    from orders.telnyx import TelnyxClient

SUB_NUMBER_ORDER = "sub_number_order"


class CommentCalls:
    """Mixed into TelnyxClient: uses its `_pages` and `_data`."""

    def list_comments(
        self: TelnyxClient, *, record_id: str, record_type: str = SUB_NUMBER_ORDER
    ) -> list[dict]:
        """The record's thread, oldest first, as Telnyx orders it."""
        params = {
            "filter[comment_record_type]": record_type,
            "filter[comment_record_id]": record_id,
        }
        # A thread is a handful of comments: the largest page makes it one request.
        return list(self._pages("/comments", params, MAX_PAGE_SIZE))

    def create_comment(
        self: TelnyxClient, *, record_id: str, body: str, record_type: str = SUB_NUMBER_ORDER
    ) -> dict:
        payload = {"body": body, "comment_record_type": record_type, "comment_record_id": record_id}
        return self._data("POST", "/comments", dict, json=payload)

    def mark_comment_read(self: TelnyxClient, comment_id: str) -> dict:
        return self._data("PATCH", f"/comments/{comment_id}/read", dict)
