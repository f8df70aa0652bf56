"""Requirement groups: the sync caches the account's groups, the order page offers the ones that
fit each pending sub order with what attaching would change, managers attach an approved one
(the order re-fetched after), support staff only read; every attempt audited, no failure
changes the cache."""

import pytest
from django.urls import reverse

from orders.models import AuditEntry, AuditOutcome, RequirementGroup, RequirementValue, Status
from orders.selectors.order_page import order_detail
from orders.selectors.requirement_groups import group_offers
from orders.services import sync
from orders.services.actions import ActionFailed
from orders.services.requirement_groups import requirement_group_attach, requirement_groups_sync
from orders.telnyx import TelnyxError
from tests.helpers import (
    FAILURES,
    FAKE_TELNYX,
    HTMX,
    Failure,
    cached_sub_order,
    html_section,
    page_html,
    pending_sub_order_with_group,
)


def attach_requests(sandbox) -> list:
    return [r for r in sandbox.requests if r.path.endswith("/requirement_group")]


def attach(client, sub_order, group_id: str, **kwargs):
    """A person's attach of `group_id` to `sub_order` through the view."""
    url = reverse("requirement_group_attach", args=[sub_order.pk])
    return client.post(url, {"requirement_group_id": group_id}, **kwargs)


def open_values(sub_order) -> dict[str, str]:
    rows = RequirementValue.objects.filter(phone_number__sub_order=sub_order).exclude(
        status="approved"
    )
    return {str(r.requirement_id): r.field_value for r in rows}


# -- the cache -----------------------------------------------------------------------------------


def test_sync_caches_every_group_of_the_account(synced):
    cached = {g.pk: g for g in RequirementGroup.objects.all()}

    assert set(cached) == set(synced.requirement_groups)
    some = next(iter(synced.requirement_groups.values()))
    group = cached[some["id"]]
    assert (group.country_code, group.phone_number_type, group.status) == (
        some["country_code"],
        some["phone_number_type"],
        some["status"],
    )
    assert [v["requirement_id"] for v in group.regulatory_requirements] == [
        v["requirement_id"] for v in some["regulatory_requirements"]
    ]


def test_groups_gone_upstream_leave_the_cache_and_a_failed_listing_changes_nothing(synced):
    gone_id = next(iter(synced.requirement_groups))
    del synced.requirement_groups[gone_id]

    assert requirement_groups_sync() == len(synced.requirement_groups)
    assert not RequirementGroup.objects.filter(pk=gone_id).exists()

    before = list(RequirementGroup.objects.order_by("pk").values())
    synced.faults.error_rate = 1.0
    with pytest.raises(Exception, match="HTTP 500"):
        requirement_groups_sync()
    assert list(RequirementGroup.objects.order_by("pk").values()) == before


def test_a_sync_whose_group_listing_fails_says_so_and_keeps_the_groups(synced, monkeypatch):
    def fails():
        raise TelnyxError("connection", detail="ConnectionError")

    monkeypatch.setattr(sync, "requirement_groups_sync", fails)
    before = RequirementGroup.objects.count()

    run = sync.orders_sync()

    assert not run.ok and "requirement groups: Could not connect to Telnyx." in run.error
    assert RequirementGroup.objects.count() == before > 0


@pytest.mark.parametrize(
    "body",
    [{"data": []}, [{"id": None}], [{"id": "g1", "country_code": "CH", "created_at": 5}, "x"]],
    ids=["enveloped", "no id", "not an object"],
)
def test_a_listing_that_cannot_be_read_changes_nothing(mocked_telnyx, db, body):
    RequirementGroup.objects.create(id="kept", synced_at="2026-11-30T00:00:00Z")
    mocked_telnyx.get(f"{FAKE_TELNYX}/requirement_groups", json=body)

    with pytest.raises(Exception, match="unexpected answer"):
        requirement_groups_sync()

    assert list(RequirementGroup.objects.values_list("pk", flat=True)) == ["kept"]


def test_hostile_group_fields_are_cleaned(mocked_telnyx, db):
    group = {
        "id": "8ffb3622-7c6b-4ccc-b65f-7a3dc0099576",
        "country_code": "CHE\x00",
        "status": ["approved"],
        "customer_reference": "x" * 10_000,
        "regulatory_requirements": [{"requirement_id": 7, "field_value": "a\x00b"}, "junk"],
        "created_at": "not a date",
    }
    mocked_telnyx.get(f"{FAKE_TELNYX}/requirement_groups", json=[group])

    assert requirement_groups_sync() == 1

    cached = RequirementGroup.objects.get()
    assert (cached.country_code, cached.status, cached.created_at) == ("CH", "", None)
    assert len(cached.customer_reference) == 255
    assert cached.regulatory_requirements[0]["field_value"] == "ab"


# -- what the page offers ------------------------------------------------------------------------


def test_page_offers_the_groups_that_fit_each_pending_sub_order(synced, support_client):
    sub_order, group = pending_sub_order_with_group("CH")

    (offer,) = [
        o
        for o in group_offers(detail=order_detail(order_id=sub_order.order_id))
        if o.sub_order.pk == sub_order.pk
    ]
    html = page_html(support_client, reverse("order_detail", args=[sub_order.order_id]))

    kinds = {(f.group.country_code, f.group.phone_number_type) for f in offer.fits}
    assert kinds == {("CH", sub_order.phone_number_type)}
    assert offer.fits[0].attachable and offer.fits[0].group == group
    assert any(not fit.attachable for fit in offer.fits), "the seed has a declined CH group"
    section = html_section(html, "requirement-groups")
    assert group.customer_reference in section
    assert 'data-status="declined"' in section
    # Support staff see what attaching would change, but cannot attach.
    assert "→" in section
    assert "Attach</button>" not in section


def test_what_attaching_would_change_is_the_values_not_yet_approved(synced):
    sub_order, group = pending_sub_order_with_group("CH")
    (offer,) = [
        o
        for o in group_offers(detail=order_detail(order_id=sub_order.order_id))
        if o.sub_order.pk == sub_order.pk
    ]
    fit = next(f for f in offer.fits if f.group == group)
    open_now = open_values(sub_order)
    offered = {v["requirement_id"]: v["field_value"] for v in group.regulatory_requirements}

    expected = {rid for rid, value in open_now.items() if offered.get(rid) not in (None, "", value)}
    assert len(fit.changes) == len(expected) > 0
    assert {change.new for change in fit.changes} == {offered[rid] for rid in expected}


# -- attaching -----------------------------------------------------------------------------------


def test_manager_attaches_a_group_and_the_order_is_fetched_again(synced, manager_client):
    sub_order, group = pending_sub_order_with_group("CH")
    offered = {v["requirement_id"]: v["field_value"] for v in group.regulatory_requirements}

    response = attach(manager_client, sub_order, group.pk, headers=HTMX)

    assert response.status_code == 200
    assert [(r.method, r.path, r.body) for r in attach_requests(synced)] == [
        (
            "POST",
            f"/v2/sub_number_orders/{sub_order.pk}/requirement_group",
            {"requirement_group_id": group.pk},
        )
    ]
    assert any(r.path == f"/v2/number_orders/{sub_order.order_id}" for r in synced.requests)
    values = open_values(sub_order)
    assert values and all(value == offered[rid] for rid, value in values.items() if rid in offered)
    html = response.content.decode()
    assert "Telnyx attached the requirement group" in html
    assert 'id="requirement-groups"' in html and 'id="numbers"' in html
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.sub_order_id) == (
        AuditEntry.Action.GROUP_ATTACH,
        AuditOutcome.SUCCESS,
        sub_order.pk,
    )
    assert entry.sent["body"] == {"requirement_group_id": group.pk}


def test_attaching_without_javascript_redirects_to_the_order(synced, manager_client):
    sub_order, group = pending_sub_order_with_group("CH")

    response = attach(manager_client, sub_order, group.pk)

    assert response.status_code == 302
    assert response["Location"] == reverse("order_detail", args=[sub_order.order_id])


@pytest.mark.parametrize("which", ["declined", "other country", "unknown"])
def test_a_group_that_does_not_fit_is_refused_without_calling_telnyx(synced, manager_client, which):
    sub_order, _ = pending_sub_order_with_group("CH")
    groups = RequirementGroup.objects.all()
    group_id = {
        "declined": lambda: (
            groups.get(
                country_code="CH", phone_number_type=sub_order.phone_number_type, status="declined"
            ).pk
        ),
        "other country": lambda: groups.filter(status="approved").exclude(country_code="CH")[0].pk,
        "unknown": lambda: "no-such-group",
    }[which]()
    before = open_values(sub_order)

    response = attach(manager_client, sub_order, group_id)

    assert response.status_code == 422
    assert "Nothing was sent to Telnyx." in html_section(
        response.content.decode(), "requirement-groups"
    )
    assert attach_requests(synced) == []
    assert open_values(sub_order) == before
    assert AuditEntry.objects.get().outcome == AuditOutcome.FORBIDDEN


def test_a_sub_order_that_is_not_pending_takes_no_group(synced, manager_user):
    sub_order = cached_sub_order(Status.SUCCESS)
    group = RequirementGroup.objects.filter(status="approved").first()

    with pytest.raises(ActionFailed, match="not pending"):
        requirement_group_attach(sub_order=sub_order, group_id=group.pk, user=manager_user)

    assert attach_requests(synced) == []


def test_support_staff_cannot_attach(synced, support_client):
    sub_order, group = pending_sub_order_with_group("CH")

    response = attach(support_client, sub_order, group.pk)

    assert response.status_code == 403
    assert attach_requests(synced) == []
    assert not AuditEntry.objects.exists()


def test_an_attach_telnyx_refuses_shows_next_to_the_sub_order_and_changes_nothing(
    synced, manager_client, cache_snapshot
):
    sub_order, group = pending_sub_order_with_group("CH")
    # Telnyx has meanwhile declined the group the cache still holds as approved.
    synced.requirement_groups[group.pk]["status"] = "declined"
    before = cache_snapshot(sub_order.order_id)

    response = attach(manager_client, sub_order, group.pk, headers=HTMX)

    html = response.content.decode()
    offer = html[html.index(f'id="groups-{sub_order.pk}"') :].split("</article>")[0]
    assert "Telnyx refused it (HTTP 422): The group is declined" in offer
    assert cache_snapshot(sub_order.order_id) == before
    assert AuditEntry.objects.get().outcome == AuditOutcome.REFUSED


@pytest.mark.parametrize("failure", FAILURES, ids=lambda failure: failure.name)
def test_upstream_failure_attaches_nothing_and_is_audited(
    failure: Failure, mocked_telnyx, order_factory, manager_user, cache_snapshot
):
    failure = failure.written()
    sub_order = order_factory(country="CH").sub_orders.get()
    group = RequirementGroup.objects.create(
        id="a4b201f9-8646-4e54-a7d2-b2e403eeaf8c",
        country_code="CH",
        phone_number_type="local",
        status="approved",
        synced_at="2026-11-30T00:00:00Z",
    )
    url = f"{FAKE_TELNYX}/sub_number_orders/{sub_order.pk}/requirement_group"
    failure.register(mocked_telnyx, "POST", url)
    before = cache_snapshot(sub_order.order_id)

    with pytest.raises(ActionFailed) as caught:
        requirement_group_attach(sub_order=sub_order, group_id=group.pk, user=manager_user)

    assert failure.message in caught.value.message
    assert cache_snapshot(sub_order.order_id) == before
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.http_status, entry.telnyx_code) == (
        AuditEntry.Action.GROUP_ATTACH,
        failure.outcome,
        failure.status,
        failure.code,
    )
