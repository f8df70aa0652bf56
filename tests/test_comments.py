"""Telnyx's comments: the sync caches the threads of pending sub orders within its budget, the
order page shows them (unread marked, a declined value's reason in the fix form), managers reply
and mark read, support staff only read; every attempt audited, no failure changes the cache."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from orders.models import (
    AuditEntry,
    AuditOutcome,
    Comment,
    Order,
    RequirementDefinition,
    Status,
    SubOrder,
)
from orders.selectors.comments import Thread, with_decline_reasons
from orders.selectors.order_page import RequirementSummary
from orders.services import comments
from orders.services.actions import ActionFailed
from orders.services.comments import comment_mark_read, comment_post, comments_sync
from orders.services.sync import orders_sync
from tests.helpers import (
    FAILURES,
    FAKE_TELNYX,
    HTMX,
    Failure,
    declined_thread,
    html_section,
    page_html,
)


def comment_requests(sandbox) -> list:
    return [r for r in sandbox.requests if r.path.startswith("/v2/comments")]


def reply(client, sub_order, body: str, **kwargs):
    """A person's reply on the sub order's thread through the view."""
    return client.post(reverse("comment_post", args=[sub_order.pk]), {"body": body}, **kwargs)


def unread_on(order_id) -> int:
    return Order.objects.get(pk=order_id).unread_comments


# -- the sync ------------------------------------------------------------------------------------


def test_sync_caches_the_threads_of_pending_sub_orders_and_counts_the_unread(synced):
    sub_order, comment = declined_thread()

    box_thread = [
        c for c in synced.comments.values() if c["comment_record_id"] == str(sub_order.pk)
    ]
    cached = Comment.objects.filter(record_id=sub_order.pk)
    assert {str(c.pk) for c in cached} == {c["id"] for c in box_thread}
    assert comment.commenter_type == "admin" and comment.created_at is not None
    unread = sum(1 for c in box_thread if c["read_at"] is None and c["commenter_type"] == "admin")
    assert unread_on(sub_order.order_id) == unread > 0
    # Threads of sub orders that are no longer pending are not fetched.
    finished = SubOrder.objects.exclude(status=Status.PENDING).values_list("pk", flat=True)
    assert not Comment.objects.filter(record_id__in=list(finished)).exists()


def test_comments_sync_keeps_to_its_budget_and_fetches_the_longest_unchecked_first(synced):
    pending = SubOrder.objects.filter(status=Status.PENDING, order__status=Status.PENDING)
    assert pending.count() > 2

    result = comments_sync(budget=2)

    fetched = [r.query["filter[comment_record_id]"] for r in comment_requests(synced)]
    assert (result.fetched, result.failed, len(fetched)) == (2, 0, 2)
    assert result.left == pending.count() - 2
    oldest = list(pending.order_by("comments_synced_at", "pk").values_list("pk", flat=True))
    synced.requests.clear()
    comments_sync(budget=1)
    (again,) = [r.query["filter[comment_record_id]"] for r in comment_requests(synced)]
    assert again not in fetched
    assert again == str(oldest[0])


def test_a_thread_that_fails_to_fetch_is_counted_and_keeps_what_was_cached(synced):
    sub_order, _ = declined_thread()
    before = list(Comment.objects.filter(record_id=sub_order.pk).values())
    synced.faults.error_rate = 1.0

    result = comments_sync()

    # Telnyx failing every time, the sync stops asking after a few.
    assert (result.failed, result.fetched) == (comments.FAILURES_IN_A_ROW, 0)
    assert result.left > 0
    assert list(Comment.objects.filter(record_id=sub_order.pk).values()) == before


def test_hostile_comments_are_cleaned_or_refused(mocked_telnyx, order_factory):
    sub_order = order_factory().sub_orders.get()
    url = f"{FAKE_TELNYX}/comments"
    good = {
        "id": "8ffb3622-7c6b-4ccc-b65f-7a3dc0099576",
        "comment_record_type": "sub_number_order",
        "comment_record_id": str(sub_order.pk),
        "commenter_type": "admin",
        "commenter": {"not": "a string"},
        "body": "We declined\x00 it. " + "x" * 20_000,
        "created_at": "2026-11-30T10:00:00Z",
        "read_at": None,
    }
    mocked_telnyx.get(url, json={"data": [good], "meta": {"total_pages": 1}})

    assert comments_sync().fetched == 1

    comment = Comment.objects.get()
    assert "\x00" not in comment.body and len(comment.body) == 5000
    assert comment.commenter == ""
    assert unread_on(sub_order.order_id) == 1
    mocked_telnyx.replace("GET", url, json={"data": [good | {"created_at": "yesterday"}]})
    assert comments_sync().failed == 1
    assert Comment.objects.get().body == comment.body


# -- the order page ------------------------------------------------------------------------------


def test_order_page_shows_each_thread_with_who_when_and_unread_marks(synced, support_client):
    sub_order, comment = declined_thread()

    html = page_html(support_client, reverse("order_detail", args=[sub_order.order_id]))

    thread = html_section(html, "comments")
    assert comment.body.split("“")[0] in thread
    assert f'id="comment-{comment.pk}"' in thread
    assert "<strong>Telnyx</strong>" in thread
    assert 'data-status="unread">unread</span>' in thread
    panel = html_section(html, "order-panel")
    assert f"{unread_on(sub_order.order_id)} unread comment" in panel


def test_support_staff_read_the_threads_but_get_no_reply_or_mark_read(synced, support_client):
    sub_order, comment = declined_thread()

    html = page_html(support_client, reverse("order_detail", args=[sub_order.order_id]))

    assert "Mark read" not in html and "Send reply" not in html
    for url in (
        reverse("comment_post", args=[sub_order.pk]),
        reverse("comment_mark_read", args=[comment.pk]),
    ):
        assert support_client.post(url, {"body": "hello"}).status_code == 403
    assert comment_requests(synced) == []
    assert not AuditEntry.objects.exists()


def test_a_declined_requirement_shows_the_latest_reason_in_the_fix_form(synced, manager_client):
    sub_order, comment = declined_thread()

    html = page_html(manager_client, reverse("order_detail", args=[sub_order.order_id]))

    form = html_section(html, "requirements")
    assert "Why Telnyx declined it" in form
    assert escape(comment.body) in form
    assert f'href="#comment-{comment.pk}"' in form


def test_a_reason_comes_from_the_threads_of_the_sub_orders_that_have_the_requirement():
    definition = RequirementDefinition(id=uuid.uuid4(), label="Address", field_type="address")
    start = timezone.now()

    def thread(country: str, *bodies: str) -> Thread:
        sub_order = SubOrder(id=uuid.uuid4(), country_code=country, phone_number_type="local")
        comments = [
            Comment(id=uuid.uuid4(), body=body, commenter_type="admin", created_at=start + step)
            for step, body in zip([timedelta(minutes=i) for i in range(3)], bodies, strict=False)
        ]
        return Thread(sub_order, comments)

    def declined(kind: str) -> RequirementSummary:
        return RequirementSummary(
            uuid.uuid4(), "address", definition, statuses=["declined"], sub_orders=[kind]
        )

    threads = [
        thread("NL", "We declined “Address”: wrong town.", "We declined “address”: still wrong."),
        thread("GB", "We declined “Customer type”: unknown."),
    ]
    nl, gb = with_decline_reasons(
        summaries=[declined("NL local"), declined("GB local")], threads=threads
    )

    assert nl.decline_reason.body == "We declined “address”: still wrong."
    assert gb.decline_reason is None


def test_unread_comments_show_in_the_list_and_on_the_home_page(synced, support_client):
    sub_order, _ = declined_thread()
    unread = unread_on(sub_order.order_id)

    listing = page_html(support_client, reverse("order_list"), {"q": str(sub_order.order_id)})
    home = page_html(support_client, reverse("home"))

    assert f'data-status="unread">{unread} unread</span>' in listing
    assert f'href="/orders/{sub_order.order_id}/#comments"' in home
    total = sum(Order.objects.values_list("unread_comments", flat=True))
    assert f'<p class="big-number" id="unread-comments">{total}</p>' in home


# -- replying ------------------------------------------------------------------------------------


def test_manager_reply_reaches_telnyx_and_the_thread_is_fetched_again(synced, manager_client):
    sub_order, _ = declined_thread()
    text = "Could you extend the deadline? The customer is sending a new bill."

    response = reply(manager_client, sub_order, text, headers=HTMX)

    assert response.status_code == 200
    posted = [r for r in comment_requests(synced) if r.method == "POST"]
    assert [r.body for r in posted] == [
        {
            "body": text,
            "comment_record_type": "sub_number_order",
            "comment_record_id": str(sub_order.pk),
        }
    ]
    mine = Comment.objects.get(record_id=sub_order.pk, body=text)
    assert mine.commenter_type == "user" and not mine.unread
    html = response.content.decode()
    assert f'id="comment-{mine.pk}"' in html and "<strong>Us</strong>" in html
    assert "was sent to Telnyx" in html
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.sub_order_id) == (
        AuditEntry.Action.COMMENT_POST,
        AuditOutcome.SUCCESS,
        sub_order.pk,
    )
    assert entry.sent["body"]["body"] == text


def test_asking_for_an_extension_is_answered_and_the_sync_brings_the_answer(synced, manager_user):
    sub_order, _ = declined_thread()
    comment_post(sub_order=sub_order, body="Please extend the deadline.", user=manager_user)
    unread = unread_on(sub_order.order_id)

    synced.advance_clock(timedelta(minutes=4))
    orders_sync()

    latest = Comment.objects.filter(record_id=sub_order.pk).order_by("-created_at").first()
    assert latest.commenter_type == "admin" and "extended the deadline" in latest.body
    assert unread_on(sub_order.order_id) == unread + 1


def test_a_reply_without_javascript_redirects_to_the_order(synced, manager_client):
    sub_order, _ = declined_thread()

    response = reply(manager_client, sub_order, "Thanks, fixing it.")

    assert response.status_code == 302
    assert response["Location"] == reverse("order_detail", args=[sub_order.order_id])


def test_an_empty_reply_is_refused_without_calling_telnyx(synced, manager_client):
    sub_order, _ = declined_thread()

    response = reply(manager_client, sub_order, "  ")

    assert response.status_code == 422
    assert "This field is required." in html_section(response.content.decode(), "comments")
    assert comment_requests(synced) == []


def test_a_reply_telnyx_turns_away_is_shown_with_the_text_kept(synced, manager_client):
    sub_order, _ = declined_thread()
    before = list(Comment.objects.filter(record_id=sub_order.pk).values())
    synced.faults.rate_limit_burst = 10

    response = reply(manager_client, sub_order, "Typed & kept", headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    thread = html[html.index(f'id="thread-{sub_order.pk}"') :]
    assert "Nothing was changed; try again" in thread.split("</article>")[0]
    assert "Typed &amp; kept</textarea>" in thread
    assert list(Comment.objects.filter(record_id=sub_order.pk).values()) == before
    assert AuditEntry.objects.get().outcome == AuditOutcome.FAILED


@pytest.mark.parametrize("failure", FAILURES, ids=lambda failure: failure.name)
def test_upstream_failure_posts_nothing_and_is_audited(
    failure: Failure, mocked_telnyx, order_factory, manager_user
):
    failure = failure.written()
    sub_order = order_factory().sub_orders.get()
    failure.register(mocked_telnyx, "POST", f"{FAKE_TELNYX}/comments")

    with pytest.raises(ActionFailed) as caught:
        comment_post(sub_order=sub_order, body="Hello", user=manager_user)

    assert failure.message in caught.value.message
    assert not Comment.objects.exists()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.http_status, entry.telnyx_code) == (
        AuditEntry.Action.COMMENT_POST,
        failure.outcome,
        failure.status,
        failure.code,
    )


# -- marking read --------------------------------------------------------------------------------


def test_manager_marks_a_comment_read_at_telnyx_and_here(synced, manager_client):
    sub_order, comment = declined_thread()
    unread = unread_on(sub_order.order_id)

    response = manager_client.post(reverse("comment_mark_read", args=[comment.pk]), headers=HTMX)

    assert response.status_code == 200
    assert [(r.method, r.path) for r in comment_requests(synced)] == [
        ("PATCH", f"/v2/comments/{comment.pk}/read")
    ]
    comment.refresh_from_db()
    assert comment.read_at is not None
    assert synced.comments[str(comment.pk)]["read_at"] is not None
    assert unread_on(sub_order.order_id) == unread - 1
    assert f'id="comment-{comment.pk}"' in response.content.decode()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome) == (AuditEntry.Action.COMMENT_READ, AuditOutcome.SUCCESS)


def test_marking_read_what_is_read_is_refused_without_calling_telnyx(synced, manager_user):
    sub_order, comment = declined_thread()
    comment_mark_read(comment=comment, user=manager_user)
    comment.refresh_from_db()
    synced.requests.clear()

    with pytest.raises(ActionFailed) as caught:
        comment_mark_read(comment=comment, user=manager_user)

    assert "already marked read" in caught.value.message
    assert comment_requests(synced) == []
    assert AuditEntry.objects.first().outcome == AuditOutcome.FORBIDDEN


def test_marking_read_without_an_answer_changes_nothing_and_says_so(synced, manager_client):
    sub_order, comment = declined_thread()
    unread = unread_on(sub_order.order_id)
    synced.faults.error_rate = 1.0

    response = manager_client.post(reverse("comment_mark_read", args=[comment.pk]))

    assert response.status_code == 422
    item = response.content.decode().split(f'id="comment-{comment.pk}"')[1].split("</li>")[0]
    assert "It is not known whether Telnyx applied the change" in item
    assert "fetching the thread again failed too" in item
    comment.refresh_from_db()
    assert comment.read_at is None
    assert unread_on(sub_order.order_id) == unread
    assert AuditEntry.objects.get().outcome == AuditOutcome.UNKNOWN


def test_a_comment_on_a_sub_order_not_held_here_cannot_be_marked_read(manager_client):
    comment = Comment.objects.create(
        id=uuid.uuid4(),
        record_type="sub_number_order",
        record_id=uuid.uuid4(),
        commenter_type="admin",
        created_at=timezone.now(),
        synced_at=timezone.now(),
    )

    response = manager_client.post(reverse("comment_mark_read", args=[comment.pk]))

    assert response.status_code == 404
    assert not AuditEntry.objects.exists()
