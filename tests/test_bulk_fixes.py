"""Bulk fixes: one value sent to a queue group's orders by a background task, each order audited
and cached like a single fix, failures retried, a 429 holding back the whole job, a duplicate
start refused; and their pages, for managers (support staff read only)."""

from datetime import timedelta
from urllib.parse import urlencode
from uuid import UUID

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from orders.html import minute
from orders.models import (
    AuditEntry,
    AuditOutcome,
    BulkFix,
    BulkFixStatus,
    ItemState,
    Order,
    RequirementDefinition,
    RequirementValue,
)
from orders.services.bulk_fixes import (
    BulkFixRefused,
    bulk_fix_retry_failures,
    bulk_fix_run,
    bulk_fix_start,
    bulk_fix_watch,
)
from orders.services.sync import orders_sync
from orders.services.throttle import JobThrottle
from tests.helpers import HTMX, patches, run_tasks, sandbox_queue_group


@pytest.fixture
def group(telnyx_settings, sandbox, db):
    """Six cached pending orders waiting on one customer type."""
    made = sandbox_queue_group(sandbox, size=6)
    orders_sync()
    sandbox.requests.clear()
    return made


def _start(group, user, *, value=None, order_ids=None) -> BulkFix:
    return bulk_fix_start(
        user=user,
        requirement=RequirementDefinition.objects.get(pk=group.requirement_id),
        value=group.value if value is None else value,
        customer_reference=group.customer_reference,
        country=group.country,
        number_type=group.number_type,
        order_ids=[UUID(order_id) for order_id in (order_ids or group.order_ids)],
    )


def _manager(client) -> User:
    return User.objects.get(pk=client.session["_auth_user_id"])


def _states(bulk_fix: BulkFix) -> dict[str, str]:
    return {str(item.order_id): item.state for item in bulk_fix.items.all()}


def _patched(sandbox, order_id: str) -> int:
    return sum(1 for request in patches(sandbox) if request.path.endswith(order_id))


def test_a_bulk_fix_sends_each_order_once_and_audits_and_caches_it(group, sandbox, manager_user):
    bulk_fix = _start(group, manager_user)
    assert set(_states(bulk_fix).values()) == {ItemState.QUEUED}
    assert not patches(sandbox)  # nothing is sent in the request

    run_tasks()

    bulk_fix.refresh_from_db()
    assert bulk_fix.status == BulkFixStatus.FINISHED
    assert set(_states(bulk_fix).values()) == {ItemState.DONE}
    assert all(_patched(sandbox, order_id) == 1 for order_id in group.order_ids)
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE)
    assert sorted(str(entry.order_id) for entry in entries) == sorted(group.order_ids)
    assert {entry.outcome for entry in entries} == {AuditOutcome.SUCCESS}
    assert {entry.username for entry in entries} == {"manager"}
    cached = RequirementValue.objects.filter(
        requirement_id=group.requirement_id, phone_number__order_id__in=group.order_ids
    )
    assert {value.field_value for value in cached} == {group.value}


def test_only_the_chosen_orders_of_the_group_are_fixed(group, sandbox, manager_user):
    chosen = group.order_ids[:2]
    bulk_fix = _start(
        group, manager_user, order_ids=[*chosen, "6a0f0d9e-0000-4000-8000-000000000000"]
    )
    run_tasks()
    assert set(_states(bulk_fix)) == set(chosen)
    assert len(patches(sandbox)) == 2


def test_refusals_keep_telnyxs_reason_and_failures_can_be_retried(group, sandbox, manager_user):
    gone, broken = group.order_ids[0], group.order_ids[1]
    sandbox.faults.order_faults = {gone: "404", broken: "500"}
    bulk_fix = _start(group, manager_user)
    run_tasks()

    items = {str(item.order_id): item for item in bulk_fix.items.all()}
    assert items[gone].state == ItemState.REFUSED
    assert "no longer knows" in items[gone].message
    assert items[broken].state == ItemState.FAILED
    assert {items[o].state for o in group.order_ids[2:]} == {ItemState.DONE}
    bulk_fix.refresh_from_db()
    assert bulk_fix.status == BulkFixStatus.FINISHED

    sandbox.faults.order_faults = {}
    assert bulk_fix_retry_failures(bulk_fix=bulk_fix, user=manager_user) == 1
    run_tasks()

    items = {str(item.order_id): item for item in bulk_fix.items.all()}
    assert items[broken].state == ItemState.DONE
    assert items[broken].attempts == 2
    assert items[gone].state == ItemState.REFUSED  # a refusal is not retried
    assert _patched(sandbox, broken) == 2 and _patched(sandbox, gone) == 1
    # One audit entry per attempt: the failed one and the retry.
    assert AuditEntry.objects.filter(order_id=broken).count() == 2
    with pytest.raises(BulkFixRefused, match="nothing to retry"):
        bulk_fix_retry_failures(bulk_fix=bulk_fix, user=manager_user)


def test_a_value_telnyx_refuses_is_refused_on_every_order_with_its_reason(
    group, sandbox, manager_user
):
    bulk_fix = _start(group, manager_user, value="nobody in particular")
    run_tasks()
    items = list(bulk_fix.items.all())
    assert {item.state for item in items} == {ItemState.REFUSED}
    assert all("business" in item.message for item in items), items[0].message
    outcomes = AuditEntry.objects.filter(order_id__in=group.order_ids).values_list("outcome")
    assert set(outcomes) == {(AuditOutcome.REFUSED,)}


def test_the_same_fix_cannot_run_twice_at_once(group, sandbox, manager_user, support_user):
    first = _start(group, manager_user)
    with pytest.raises(BulkFixRefused, match="already running") as refused:
        _start(group, support_user)
    assert refused.value.running == first
    assert BulkFix.objects.count() == 1
    # Another value is another fix; and once the first is finished it may run again.
    _start(group, manager_user, value="individual" if group.value == "business" else "business")
    run_tasks()
    # Telnyx's reviewers decline what was sent: the group waits on a fix again, and may get one.
    RequirementValue.objects.filter(requirement_id=group.requirement_id).update(status="declined")
    _start(group, manager_user)


def test_a_429_holds_back_every_send_of_the_job(group, sandbox, manager_user, settings):
    settings.BULK_FIX_CONCURRENCY = 3
    sandbox.faults.latency = 0.05
    sandbox.faults.rate_limit_burst = 1
    sandbox.faults.rate_limit_reset = 8
    waits: list[float] = []
    throttle = JobThrottle(sleep=waits.append)  # records the waits instead of waiting
    bulk_fix = _start(group, manager_user)

    started = timezone.now()

    assert bulk_fix_run(bulk_fix_id=bulk_fix.pk, throttle=throttle)

    # The thread that met the 429 waited Telnyx's 8 seconds, and so did each send after it.
    assert len([seconds for seconds in waits if seconds > 6]) >= 4, waits
    bulk_fix.refresh_from_db()
    assert (
        started + timedelta(seconds=7)
        < bulk_fix.not_before
        <= timezone.now() + timedelta(seconds=8)
    )
    assert set(_states(bulk_fix).values()) == {ItemState.DONE}
    assert len(patches(sandbox)) == len(group.order_ids) + 1  # the one refused with 429, again


def test_an_order_left_sending_by_a_dead_worker_is_checked_not_resent(
    group, sandbox, manager_user, api, settings
):
    bulk_fix = _start(group, manager_user)
    applied, lost = group.order_ids[:2]
    # A worker died after sending both; Telnyx got the first only.
    api.patch(
        f"/number_orders/{applied}",
        json={
            "regulatory_requirements": [
                {"requirement_id": group.requirement_id, "field_value": group.value}
            ]
        },
    ).raise_for_status()
    # Claimed long ago, but a send may begin long after its claim (a 429's back-off).
    long_ago = timezone.now() - timedelta(minutes=5)
    bulk_fix.items.filter(order_id__in=[applied, lost]).update(
        state=ItemState.SENDING, unsure=True, unsure_since=long_ago, attempts=1
    )
    sandbox.requests.clear()
    waits: list[float] = []

    assert bulk_fix_run(bulk_fix_id=bulk_fix.pk, throttle=JobThrottle(sleep=waits.append))

    assert set(_states(bulk_fix).values()) == {ItemState.DONE}
    assert _patched(sandbox, applied) == 0
    assert _patched(sandbox, lost) == 1
    assert AuditEntry.objects.filter(order_id=applied).count() == 1
    # Each was checked a whole Telnyx timeout after the fix was taken over, not after its claim.
    timeout = settings.TELNYX_TIMEOUT
    assert len([seconds for seconds in waits if timeout - 1 < seconds <= timeout]) == 2, waits


def test_a_run_whose_lease_ran_out_while_it_waited_sends_nothing_more(
    group, sandbox, manager_user, settings
):
    settings.BULK_FIX_CONCURRENCY = 1
    settings.BULK_FIX_LEASE = 5
    sandbox.faults.rate_limit_burst = 1
    sandbox.faults.rate_limit_reset = 8  # the back-off outlasts the lease
    now = [timezone.now()]

    def sleep(seconds: float) -> None:  # time passes for the run, and for nobody renewing it
        now[0] += timedelta(seconds=seconds)

    bulk_fix = _start(group, manager_user)

    assert not bulk_fix_run(
        bulk_fix_id=bulk_fix.pk, throttle=JobThrottle(clock=lambda: now[0], sleep=sleep)
    )

    # Another worker may have taken the fix over: the 429 was the only send.
    assert len(patches(sandbox)) == 1
    assert set(_states(bulk_fix).values()) == {ItemState.SENDING}
    assert not AuditEntry.objects.filter(order_id__in=group.order_ids).exists()
    # The next run checks the orders left sending and sends each once.
    waits: list[float] = []
    assert bulk_fix_run(bulk_fix_id=bulk_fix.pk, throttle=JobThrottle(sleep=waits.append))
    assert set(_states(bulk_fix).values()) == {ItemState.DONE}
    assert sorted(_patched(sandbox, order_id) for order_id in group.order_ids) == [1] * 5 + [2]


def test_a_fix_whose_managers_account_was_deleted_sends_nothing_more(group, sandbox, manager_user):
    bulk_fix = _start(group, manager_user)
    manager_user.delete()

    run_tasks()

    bulk_fix.refresh_from_db()
    assert bulk_fix.status == BulkFixStatus.FINISHED
    assert set(_states(bulk_fix).values()) == {ItemState.FAILED}
    assert not patches(sandbox)


def test_the_watch_queues_a_run_again_when_no_worker_holds_the_fix(group, manager_user):
    from django_tasks_db.models import DBTaskResult

    bulk_fix = _start(group, manager_user)
    DBTaskResult.objects.all().delete()  # the queued run was lost with its worker

    bulk_fix_watch(bulk_fix_id=bulk_fix.pk)

    assert DBTaskResult.objects.ready().count() == 1  # a run; the next watch is for later
    run_tasks()
    bulk_fix.refresh_from_db()
    assert bulk_fix.status == BulkFixStatus.FINISHED
    bulk_fix_watch(bulk_fix_id=bulk_fix.pk)  # a finished fix is watched no more
    assert not DBTaskResult.objects.ready().exists()


# -- the pages --------------------------------------------------------------------------------


def _new_url(group) -> str:
    return f"{reverse('bulk_fix_new')}?{urlencode(group.params)}"


def test_the_page_lists_the_groups_orders_all_chosen(group, manager_client):
    response = manager_client.get(_new_url(group))
    assert response.status_code == 200
    html = response.content.decode()
    for order_id in group.order_ids:
        assert f'value="{order_id}"' in html
    assert html.count("checked") == len(group.order_ids)
    # Times as every page shows them: the zone named, a deadline with its countdown.
    created = Order.objects.get(pk=group.order_ids[0]).created_at
    assert minute(created) in html and minute(created).endswith(" UTC")
    assert 'class="countdown' in html


def test_a_link_that_names_no_group_is_refused(group, manager_client):
    response = manager_client.get(reverse("bulk_fix_new") + "?country=Switzerland")
    assert response.status_code == 400
    assert "does not name a queue group" in response.content.decode()


def test_starting_from_the_page_queues_the_chosen_orders_and_shows_the_job(
    group, sandbox, manager_client
):
    chosen = group.order_ids[:2]
    response = manager_client.post(_new_url(group), {"orders": chosen, "value": group.value})
    bulk_fix = BulkFix.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("bulk_fix_detail", args=[bulk_fix.pk])
    assert sorted(_states(bulk_fix)) == sorted(chosen)
    assert not patches(sandbox)  # the request only queued it

    page = manager_client.get(response["Location"]).content.decode()
    assert "Bulk fix started: 2 orders" in page
    assert "Running in the background" in page

    run_tasks()
    page = manager_client.get(response["Location"]).content.decode()
    assert "Finished" in page
    assert page.count('data-state="done"') == 2


def test_a_value_the_requirement_cannot_take_is_refused_next_to_it(group, manager_client):
    response = manager_client.post(
        _new_url(group), {"orders": group.order_ids, "value": "nobody in particular"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "nobody in particular" in html  # what was typed is kept
    assert "errorlist" in html
    empty = manager_client.post(_new_url(group), {"orders": group.order_ids, "value": ""})
    assert "Enter the value to send." in empty.content.decode()
    none_chosen = manager_client.post(_new_url(group), {"value": group.value})
    assert "Choose at least one order." in none_chosen.content.decode()
    assert not BulkFix.objects.exists()


def test_a_second_start_of_the_same_fix_leads_to_the_running_one(group, manager_client):
    data = {"orders": group.order_ids, "value": group.value}
    first = manager_client.post(_new_url(group), data)
    second = manager_client.post(_new_url(group), data)
    assert BulkFix.objects.count() == 1
    assert second.status_code == 302 and second["Location"] == first["Location"]
    page = manager_client.get(second["Location"]).content.decode()
    assert "already running" in page


def test_the_job_page_polls_while_running_and_stops_once_finished(group, manager_client):
    bulk_fix = _start(group, _manager(manager_client))
    url = reverse("bulk_fix_detail", args=[bulk_fix.pk])
    running = manager_client.get(url, headers=HTMX).content.decode()
    assert 'hx-trigger="every 2s"' in running
    assert "<html" not in running  # the region alone
    run_tasks()
    finished = manager_client.get(url, headers=HTMX).content.decode()
    assert "hx-trigger" not in finished
    assert "Finished" in finished


def test_support_staff_follow_bulk_fixes_but_start_and_retry_none(
    group, sandbox, support_client, manager_user
):
    sandbox.faults.order_faults = {group.order_ids[0]: "500"}
    bulk_fix = _start(group, manager_user)
    run_tasks()
    assert support_client.get(_new_url(group)).status_code == 403
    data = {"orders": group.order_ids, "value": group.value}
    assert support_client.post(_new_url(group), data).status_code == 403
    page = support_client.get(reverse("bulk_fix_detail", args=[bulk_fix.pk]))
    assert page.status_code == 200
    assert "Retry" not in page.content.decode()
    retry = support_client.post(reverse("bulk_fix_retry", args=[bulk_fix.pk]))
    assert retry.status_code == 403
    assert bulk_fix.items.filter(state=ItemState.FAILED).count() == 1


def test_a_manager_retries_the_failures_from_the_job_page(group, sandbox, manager_client):
    sandbox.faults.order_faults = {group.order_ids[0]: "500"}
    bulk_fix = _start(group, _manager(manager_client))
    run_tasks()
    url = reverse("bulk_fix_detail", args=[bulk_fix.pk])
    assert "Retry the 1 failed order" in manager_client.get(url).content.decode()
    sandbox.faults.order_faults = {}

    response = manager_client.post(reverse("bulk_fix_retry", args=[bulk_fix.pk]))

    assert response.status_code == 302 and response["Location"] == url
    run_tasks()
    assert set(_states(bulk_fix).values()) == {ItemState.DONE}


def test_retrying_a_bulk_fix_that_does_not_exist_is_a_404(manager_client):
    assert manager_client.post(reverse("bulk_fix_retry", args=[999])).status_code == 404
    assert manager_client.get(reverse("bulk_fix_detail", args=[999])).status_code == 404


def test_the_home_page_links_recent_bulk_fixes(group, manager_client):
    bulk_fix = _start(group, _manager(manager_client))
    html = manager_client.get(reverse("home")).content.decode()
    assert reverse("bulk_fix_detail", args=[bulk_fix.pk]) in html
    assert f"0 of {len(group.order_ids)} orders" in html


def test_an_address_requirement_takes_an_address_id(telnyx_settings, sandbox, manager_client):
    from sandbox.copies import orders_waiting_on

    waiting = orders_waiting_on(
        sandbox, label="Address within the number's locality", count=2, customer_reference="ADDR"
    )
    orders_sync()
    params = {
        "customer_reference": waiting.customer_reference,
        "country": waiting.country,
        "number_type": waiting.number_type,
        "requirement": waiting.requirement_id,
    }
    url = f"{reverse('bulk_fix_new')}?{urlencode(params)}"
    assert "digits only" in manager_client.get(url).content.decode()

    response = manager_client.post(url, {"orders": waiting.order_ids, "value": "Main Street 1"})

    assert response.status_code == 422
    assert "Choose an address record: its id is a number." in response.content.decode()
    assert not BulkFix.objects.exists()
