"""Telnyx's reviewers and housekeeping, on the sandbox's clock: uploads are scanned and reviewed,
uploads no requirement value refers to are deleted after 30 minutes, values written to an order
are approved or declined (a decline comes with a comment and a new deadline), and a comment
asking for more time is answered with an extension."""

import heapq
import itertools
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sandbox import data, files, records, verdicts
from sandbox.catalogue import ACCEPTED_LOCALLY
from sandbox.clock import iso, parse_iso

if TYPE_CHECKING:
    from sandbox.server import Sandbox

SCAN_AFTER = timedelta(seconds=10)
DOCUMENT_REVIEW_AFTER = timedelta(minutes=2)
VALUE_REVIEW_AFTER = timedelta(minutes=5)
UNLINKED_LIFETIME = timedelta(minutes=30)
REPLY_AFTER = timedelta(minutes=3)
ASKS_FOR_TIME = re.compile(r"\b(extension|extend|more time)\b", re.IGNORECASE)


class Reviewers:
    """Work falls due on the sandbox's clock; `run_due()` (before every API request, and when
    the clock is moved) does what is due. Callers hold the sandbox's lock."""

    def __init__(self, box: "Sandbox"):
        self.box = box
        self._due: list[tuple[datetime, int, Callable, tuple]] = []
        self._order = itertools.count()

    def later(self, delay: timedelta, action: Callable, *args) -> None:
        heapq.heappush(self._due, (self.box.clock.now() + delay, next(self._order), action, args))

    def run_due(self) -> None:
        now = self.box.clock.now()
        while self._due and self._due[0][0] <= now:
            _, _, action, args = heapq.heappop(self._due)
            action(*args)

    # -- what the endpoints tell the reviewers ---------------------------------------------------

    def document_uploaded(self, document_id: str) -> None:
        self.later(SCAN_AFTER, self._scan, document_id)
        self.later(DOCUMENT_REVIEW_AFTER, self._review_document, document_id)
        self.later(UNLINKED_LIFETIME, self._delete_if_unlinked, document_id)

    def values_submitted(self, sub_order_id: str, requirement_ids: set[str]) -> None:
        for requirement_id in sorted(requirement_ids):
            self.later(VALUE_REVIEW_AFTER, self._review_values, sub_order_id, requirement_id)

    def comment_posted(self, comment: dict) -> None:
        asks = ASKS_FOR_TIME.search(comment["body"])
        if comment["comment_record_type"] == "sub_number_order" and asks:
            self.later(REPLY_AFTER, self._extend, comment["comment_record_id"])

    # -- documents -------------------------------------------------------------------------------

    def _scan(self, document_id: str) -> None:
        document = self.box.documents.get(document_id)
        if document is None:
            return
        if files.infected(self.box.files[document_id]):
            document["av_scan_status"], document["status"] = "infected", "denied"
            self.box.denials[document_id] = verdicts.INFECTED
        else:
            document["av_scan_status"] = "scanned"
        document["updated_at"] = self.box.stamp()

    def _review_document(self, document_id: str) -> None:
        document = self.box.documents.get(document_id)
        if document and document["status"] == "pending":
            document["status"], document["updated_at"] = "verified", self.box.stamp()

    def _delete_if_unlinked(self, document_id: str) -> None:
        if document_id not in self.box.linked_documents:
            self.box.documents.pop(document_id, None)
            self.box.files.pop(document_id, None)

    # -- requirement values ----------------------------------------------------------------------

    def _review_values(self, sub_order_id: str, requirement_id: str) -> None:
        sub_order = self.box.sub_orders[sub_order_id]
        numbers = [
            number
            for number in self.box.numbers_of(sub_order)
            if number["requirements_status"] != "cancelled"
        ]
        items = [
            item
            for number in numbers
            for item in number["regulatory_requirements"]
            if item["requirement_id"] == requirement_id and item["status"] == "pending-approval"
        ]
        if not items:
            return
        definition = self.box.definitions[requirement_id]
        reason = self._problem(definition, items[0]["field_value"], sub_order, numbers[0])
        if reason is None:  # the document it refers to is still being reviewed
            self.later(VALUE_REVIEW_AFTER, self._review_values, sub_order_id, requirement_id)
            return
        for item in items:
            item["status"] = "declined" if reason else "approved"
        if reason:
            self._comment(sub_order_id, verdicts.declined_comment(definition["label"], reason))
        if reason and self._open_pending(sub_order):
            deadline = self.box.clock.now() + data.DEADLINE
            self._set_deadline(sub_order, deadline, verdicts.deadline_comment(deadline))
        self.box.settle(sub_order, self.box.stamp())

    def _problem(self, definition: dict, value: str, sub_order: dict, number: dict) -> str | None:
        """Why the value is declined, "" when it is approved, None while that cannot be said."""
        if definition["field_type"] == "address":
            address = self.box.addresses.get(value)
            if address is None:
                return "the address no longer exists."
            local = definition["acceptance_criteria"].get("locality_limit") == ACCEPTED_LOCALLY
            return (
                verdicts.address_problem(
                    address,
                    local=local,
                    country=sub_order["country_code"],
                    locality=number["locality"],
                )
                or ""
            )
        if definition["field_type"] == "document":
            document = self.box.documents.get(value)
            if document is None:
                return "the document no longer exists."
            if document["status"] == "pending":
                return None
            if document["status"] == "denied":
                return self.box.denials.get(value, "the document was denied.")
        return ""

    # -- deadlines and comments ------------------------------------------------------------------

    def _extend(self, sub_order_id: str) -> None:
        sub_order = self.box.sub_orders[sub_order_id]
        if sub_order["status"] != "pending":
            self._comment(sub_order_id, verdicts.no_extension_comment(sub_order["status"]))
            return
        numbers = self._open_pending(sub_order)
        latest = max((parse_iso(n["deadline"]) for n in numbers), default=self.box.clock.now())
        deadline = max(latest, self.box.clock.now()) + data.DEADLINE
        self._set_deadline(sub_order, deadline, verdicts.extension_comment(deadline))
        self.box.settle(sub_order, self.box.stamp())

    def _set_deadline(self, sub_order: dict, deadline: datetime, comment: str) -> None:
        for number in self._open_pending(sub_order):
            number["deadline"] = iso(deadline)
        self._comment(sub_order["id"], comment)

    def _open_pending(self, sub_order: dict) -> list[dict]:
        return [
            number
            for number in self.box.numbers_of(sub_order)
            if number["status"] == "pending" and number["requirements_status"] != "cancelled"
        ]

    def _comment(self, sub_order_id: str, body: str) -> None:
        comment = records.comment(
            self.box.new_id(),
            record_type="sub_number_order",
            record_id=sub_order_id,
            body=body,
            by_admin=True,
            created=self.box.stamp(),
        )
        self.box.comments[comment["id"]] = comment
