"""Telnyx's comments on sub orders: the cache of their threads (fetched by the sync for pending
orders, within a request budget), and replying or marking one read (each attempt audited)."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from orders.models import AuditEntry, AuditOutcome, Comment, CommenterType, Order, Status, SubOrder
from orders.services.actions import ActionDone, ActionFailed, failure_message
from orders.services.audit import (
    audit_complete,
    audit_completed,
    audit_outcome,
    audit_write,
    sent_request,
)
from orders.services.fetch import client_scope
from orders.services.telnyx_data import malformed, parse_timestamp
from orders.services.telnyx_fields import clean_text, max_lengths
from orders.telnyx import TelnyxClient, TelnyxError

logger = logging.getLogger(__name__)

RECORD_TYPE = "sub_number_order"
# Telnyx failing this many threads in a row is down or refusing us: the rest wait for the next
# sync rather than cost a request and its retries each.
FAILURES_IN_A_ROW = 3
# Telnyx takes up to 5000 characters; what it sends back is cut there too.
MAX_BODY = 5000


# What fetching a thread again rewrites of a comment already cached.
COMMENT_FIELDS = ["body", "commenter", "commenter_type", "updated_at", "read_at", "synced_at"]

_COMMENT_TEXT = max_lengths(Comment)


def _comment_row(item: dict) -> dict:
    created_at = parse_timestamp(item.get("created_at"))
    if created_at is None:
        raise ValueError(f"comment {item.get('id')!r} has no created_at")
    limit = _COMMENT_TEXT
    return {
        "id": UUID(str(item["id"])),
        "record_type": clean_text(item.get("comment_record_type"), _COMMENT_TEXT["record_type"])
        or RECORD_TYPE,
        "record_id": UUID(str(item["comment_record_id"])),
        "body": clean_text(item.get("body"), MAX_BODY),
        "commenter": clean_text(item.get("commenter"), limit["commenter"]),
        "commenter_type": clean_text(item.get("commenter_type"), limit["commenter_type"]),
        "created_at": created_at,
        "updated_at": parse_timestamp(item.get("updated_at")),
        "read_at": parse_timestamp(item.get("read_at")),
    }


def orders_recount_unread(*, order_ids: Iterable[UUID]) -> None:
    """Brings Order.unread_comments in step with the cached comments; an order whose count
    changed counts as changed, so that open pages show it."""
    for order_id in order_ids:
        counted = Comment.objects.filter(
            record_id__in=SubOrder.objects.filter(order_id=order_id).values("pk"),
            commenter_type=CommenterType.ADMIN,
            read_at__isnull=True,
        ).count()
        Order.objects.filter(pk=order_id).exclude(unread_comments=counted).update(
            unread_comments=counted, changed_at=timezone.now()
        )


def comments_store(*, sub_order: SubOrder, items: list[dict], whole_thread: bool) -> None:
    """Caches comments Telnyx sent on `sub_order`; `whole_thread`: they are all there are, and
    cached ones not among them are dropped. Raises TelnyxError (malformed), the cache unchanged,
    when one cannot be read."""
    with malformed(f"comments of sub order {sub_order.pk}"):
        rows = [_comment_row(item) for item in items]
        if any(row["record_id"] != sub_order.pk for row in rows):
            raise ValueError("a comment on another record")
    now = timezone.now()
    with transaction.atomic():
        if whole_thread:
            Comment.objects.filter(record_id=sub_order.pk).exclude(
                pk__in=[row["id"] for row in rows]
            ).delete()
            SubOrder.objects.filter(pk=sub_order.pk).update(comments_synced_at=now)
        Comment.objects.bulk_create(
            [Comment(**row, synced_at=now) for row in rows],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=[
                "body",
                "commenter",
                "commenter_type",
                "updated_at",
                "read_at",
                "synced_at",
            ],
        )
        orders_recount_unread(order_ids=[sub_order.order_id])


def comments_fetch(*, sub_order: SubOrder, client: TelnyxClient | None = None) -> None:
    """Fetches and caches the sub order's whole thread. Raises TelnyxError."""
    with client_scope(client) as telnyx:
        items = telnyx.list_comments(record_id=str(sub_order.pk))
    comments_store(sub_order=sub_order, items=items, whole_thread=True)


@dataclass
class CommentsSyncResult:
    fetched: int = 0
    failed: int = 0
    left: int = 0  # pending sub orders the budget did not reach


def comments_sync(
    *, budget: int | None = None, order_id: UUID | str | None = None
) -> CommentsSyncResult:
    """Fetches the threads of the pending sub orders of pending orders (`order_id`: of that
    one), a request each, at most `budget` (SYNC_COMMENTS_BUDGET) of them, the longest
    unchecked first: a backlog larger than the budget is covered over a few syncs. A thread
    that fails is logged and counted; the others go on."""
    if budget is None:
        budget = settings.SYNC_COMMENTS_BUDGET
    pending = SubOrder.objects.filter(
        status=Status.PENDING, order__status=Status.PENDING, order__gone_at__isnull=True
    ).order_by(F("comments_synced_at").asc(nulls_first=True), "pk")
    if order_id is not None:
        pending = pending.filter(order_id=order_id)
    chosen = list(pending[:budget])
    result = CommentsSyncResult(left=pending.count() - len(chosen))
    in_a_row = 0
    with client_scope(None) as client:
        for position, sub_order in enumerate(chosen):
            if in_a_row == FAILURES_IN_A_ROW:
                result.left += len(chosen) - position
                break
            try:
                comments_fetch(sub_order=sub_order, client=client)
            except (TelnyxError, DatabaseError) as error:
                logger.warning("sync: comments of sub order %s failed: %s", sub_order.pk, error)
                result.failed += 1
                in_a_row += 1
            else:
                result.fetched += 1
                in_a_row = 0
    return result


def _comment_failed(
    entry: AuditEntry, error: TelnyxError, *, telnyx: TelnyxClient, sub_order: SubOrder
) -> ActionFailed:
    """The ActionFailed of a comment write Telnyx did not answer with success, its audit entry
    completed. When Telnyx may have applied it, the thread is fetched again so that the page
    shows whether it did."""
    if not (error.outcome_unknown or error.kind == "malformed"):
        audit_complete(entry, outcome=audit_outcome(error), error=error)
        message = failure_message(error, subject="sub order")
        return ActionFailed(message, entry=entry, error=error)
    try:
        comments_fetch(sub_order=sub_order, client=telnyx)
        then = "so the thread was fetched from Telnyx again: this page shows what it holds now."
    except (TelnyxError, DatabaseError):
        then = "fetching the thread again failed too: refresh the order in a moment to find out."
    audit_complete(entry, outcome=AuditOutcome.UNKNOWN, error=error)
    message = f"{error} It is not known whether Telnyx applied the change; {then}"
    return ActionFailed(message, entry=entry, error=error)


def comment_post(
    *, sub_order: SubOrder, body: str, user: AbstractBaseUser, client: TelnyxClient | None = None
) -> ActionDone:
    """Posts our comment on the sub order's thread at Telnyx (asking for a deadline extension,
    say), then fetches and caches the thread. Raises ActionFailed, audited, when Telnyx refuses
    or cannot be reached (nothing is cached then), or does not say whether it took it (the
    thread is fetched again)."""
    sent = {
        "body": body,
        "comment_record_type": RECORD_TYPE,
        "comment_record_id": str(sub_order.pk),
    }
    entry = audit_write(
        user=user,
        outcome=AuditOutcome.PENDING,
        action=AuditEntry.Action.COMMENT_POST,
        order_id=sub_order.order_id,
        sub_order_id=sub_order.pk,
        sent=sent_request("POST", "/comments", sent),
    )
    with audit_completed(entry), client_scope(client, interactive=True) as telnyx:
        try:
            answer = telnyx.create_comment(record_id=str(sub_order.pk), body=body)
        except TelnyxError as error:
            raise _comment_failed(entry, error, telnyx=telnyx, sub_order=sub_order) from error
        stored = True
        try:
            comments_fetch(sub_order=sub_order, client=telnyx)
        except (TelnyxError, DatabaseError) as error:
            logger.warning("sub order %s: caching its thread failed: %s", sub_order.pk, error)
            stored = False
        after = {"id": clean_text(answer.get("id"), 64)}
        audit_complete(entry, outcome=AuditOutcome.SUCCESS, after=after)
    return ActionDone(entry=entry, order=sub_order.order, stored=stored)


def comment_mark_read(
    *, comment: Comment, user: AbstractBaseUser, client: TelnyxClient | None = None
) -> ActionDone:
    """Marks one of Telnyx's comments on a cached sub order read at Telnyx, then in the cache
    as Telnyx answered. Refused without asking Telnyx (FORBIDDEN) when it is read already.
    Raises ActionFailed, audited; a failure changes nothing cached but the thread, fetched
    again when Telnyx did not say whether it marked it."""
    sub_order = SubOrder.objects.select_related("order").get(pk=comment.record_id)
    record = partial(
        audit_write,
        user=user,
        action=AuditEntry.Action.COMMENT_READ,
        order_id=sub_order.order_id,
        sub_order_id=sub_order.pk,
        sent=sent_request("PATCH", f"/comments/{comment.pk}/read"),
        before={"id": str(comment.pk), "read_at": None},
    )
    if comment.read_at is not None:
        entry = record(outcome=AuditOutcome.FORBIDDEN)
        raise ActionFailed(
            "This comment is already marked read. Nothing was sent to Telnyx.", entry=entry
        )
    entry = record(outcome=AuditOutcome.PENDING)
    with audit_completed(entry), client_scope(client, interactive=True) as telnyx:
        try:
            answer = telnyx.mark_comment_read(str(comment.pk))
        except TelnyxError as error:
            raise _comment_failed(entry, error, telnyx=telnyx, sub_order=sub_order) from error
        # Telnyx said it is read: when its answer does not say since when, since now.
        read_at = parse_timestamp(answer.get("read_at")) or timezone.now()
        with transaction.atomic():
            Comment.objects.filter(pk=comment.pk).update(read_at=read_at, synced_at=timezone.now())
            orders_recount_unread(order_ids=[sub_order.order_id])
        audit_complete(entry, outcome=AuditOutcome.SUCCESS, after={"read_at": read_at.isoformat()})
    return ActionDone(entry=entry, order=sub_order.order)
