"""Reads of Telnyx's comments: each sub order's thread, unread counts, and the latest reason
the reviewers gave for declining a requirement."""

from dataclasses import dataclass, field

from orders.models import Comment, CommenterType, SubOrder
from orders.selectors.order_page import OrderDetail, RequirementSummary

DECLINED = "declined"


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


def _mentions(comment: Comment, label: str) -> bool:
    return label.casefold() in comment.body.casefold()


def with_decline_reasons(
    *, summaries: list[RequirementSummary], threads: list[Thread]
) -> list[RequirementSummary]:
    """Sets `decline_reason` on each declined requirement: the latest of Telnyx's comments on
    the order's sub orders that names it (reviewers name the requirement's label). Reads
    nothing more from the database than `threads` holds."""
    telnyx_said = sorted(
        (
            comment
            for thread in threads
            for comment in thread.comments
            if comment.commenter_type == CommenterType.ADMIN
        ),
        key=lambda comment: (comment.created_at, str(comment.id)),
        reverse=True,
    )
    for summary in summaries:
        if DECLINED in summary.statuses and summary.definition is not None:
            summary.decline_reason = next(
                (c for c in telnyx_said if _mentions(c, summary.definition.label)), None
            )
    return summaries
