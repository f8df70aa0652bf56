"""Reads of Telnyx's comments: each sub order's thread, unread counts, and the latest reason
the reviewers gave for declining a requirement."""

from dataclasses import dataclass, field

from orders.models import Comment, CommenterType, SubOrder, ValueStatus
from orders.selectors.order_page import OrderDetail, RequirementSummary


@dataclass
class Thread:
    """A sub order's comments, oldest first."""

    sub_order: SubOrder
    comments: list[Comment] = field(default_factory=list)

    @property
    def unread(self) -> int:
        return sum(1 for comment in self.comments if comment.unread)


def order_threads(*, detail: OrderDetail) -> list[Thread]:
    """The thread of each of the order's sub orders, in the page's order: one query."""
    threads = {sub.sub_order.id: Thread(sub.sub_order) for sub in detail.sub_orders}
    for comment in Comment.objects.filter(record_id__in=list(threads)).order_by("created_at", "id"):
        threads[comment.record_id].comments.append(comment)
    return list(threads.values())


def with_decline_reasons(
    *, summaries: list[RequirementSummary], threads: list[Thread]
) -> list[RequirementSummary]:
    """Sets `decline_reason` on each declined requirement: the latest of Telnyx's comments that
    names it (reviewers name the requirement's label) on the threads of the sub orders that have
    it, since several countries' requirements may share a label. Reads nothing more from the
    database than `threads` holds."""
    telnyx_said = sorted(
        (
            (f"{thread.sub_order.country_code} {thread.sub_order.phone_number_type}", comment)
            for thread in threads
            for comment in thread.comments
            if comment.commenter_type == CommenterType.ADMIN
        ),
        key=lambda said: (said[1].created_at, str(said[1].id)),
        reverse=True,
    )
    for summary in summaries:
        if ValueStatus.DECLINED not in summary.statuses or summary.definition is None:
            continue
        label = summary.definition.label.casefold()
        summary.decline_reason = next(
            (
                comment
                for kind, comment in telnyx_said
                if kind in summary.sub_orders and label in comment.body.casefold()
            ),
            None,
        )
    return summaries
