"""The order page's write actions over HTTP: the "Fix requirements" form and the sub order
cancel, with and without HTMX, their permissions and CSRF protection."""

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import AuditEntry, AuditOutcome, RequirementDefinition, Status, SubOrder
from orders.requirement_forms import requirement_field_name
from tests.helpers import (
    HTMX,
    cached_sub_order,
    fieldset,
    form_data,
    other_customer_type,
    patches,
    pending_requirement,
    requirement,
)


def update_url(order) -> str:
    return reverse("order_update", args=[order.pk])


def input_value(body: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', body)
    value = found and re.search(r'value="([^"]*)"', found[0])
    return value[1] if value else None


# --- the order page -------------------------------------------------------------------------


def test_order_page_lists_each_requirement_once_with_what_telnyx_asks(synced, manager_client):
    order, summary = pending_requirement("Business registration number")
    body = manager_client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert body.count(f'id="fix-{summary.requirement_id}"') == 1
    part = fieldset(body, summary)
    definition = summary.definition
    assert definition.label in part
    # Which sub orders ask for it tells apart requirements of the same label.
    assert f"{', '.join(summary.sub_orders)} · textual" in part
    assert definition.example in part
    assert "Regex" in part and "Min length" in part
    assert summary.numbers[0] in part
    assert f"{len(summary.numbers)} number" in part
    # Text input, limited as the acceptance criteria say, showing the current value.
    name = requirement_field_name(summary.requirement_id)
    assert f'maxlength="{definition.acceptance_criteria["max_length"]}"' in part
    assert input_value(part, name) == (summary.current_value or None)
    assert input_value(body, "customer_reference") == order.customer_reference


def test_inputs_fit_the_field_types(synced, manager_client):
    order, incorporation = pending_requirement("Date of incorporation")
    body = manager_client.get(reverse("order_detail", args=[order.pk])).content.decode()

    date_input = re.search(r"<input[^>]*>", fieldset(body, incorporation))[0]
    assert 'type="date"' in date_input
    # Addresses are picked from a search, not typed as ids.
    address = requirement(order, "Address within the number's locality")
    part = fieldset(body, address)
    assert f'name="search_{address.requirement_id.hex}"' in part
    assert re.search(rf'type="radio" name="{requirement_field_name(address.requirement_id)}"', part)


def test_cancel_is_offered_for_pending_sub_orders_only(synced, manager_client):
    sub_order = SubOrder.objects.filter(status=Status.PENDING).first()
    body = manager_client.get(reverse("order_detail", args=[sub_order.order_id])).content.decode()
    assert reverse("sub_order_cancel", args=[sub_order.pk]) in body

    done = SubOrder.objects.exclude(status=Status.PENDING).first()
    body = manager_client.get(reverse("order_detail", args=[done.order_id])).content.decode()
    assert "/cancel/" not in body


def test_support_staff_see_no_write_actions(synced, support_client):
    order, _ = pending_requirement("Customer type")

    body = support_client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert "Fix requirements" not in body
    assert update_url(order) not in body
    assert "/cancel/" not in body
    assert "Refresh from Telnyx" in body


# --- fixing requirements --------------------------------------------------------------------


def test_fix_without_javascript_sends_only_the_change_and_redirects(synced, manager_client):
    order, summary = pending_requirement("Customer type")
    new = other_customer_type(summary)
    name = requirement_field_name(summary.requirement_id)

    response = manager_client.post(update_url(order), form_data(order, **{name: new}), follow=True)

    assert response.redirect_chain == [(reverse("order_detail", args=[order.pk]), 302)]
    body = response.content.decode()
    assert "Telnyx accepted 1 requirement value." in body
    assert input_value(fieldset(body, summary), name) == new
    assert [request.body for request in patches(synced)] == [
        {
            "regulatory_requirements": [
                {"requirement_id": str(summary.requirement_id), "field_value": new}
            ]
        }
    ]


def test_fix_with_htmx_swaps_the_changed_regions_with_a_message(synced, manager_client):
    order, summary = pending_requirement("Customer type")
    data = form_data(
        order, **{requirement_field_name(summary.requirement_id): other_customer_type(summary)}
    )

    response = manager_client.post(update_url(order), data, headers=HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert "ordersChanged" in json.loads(response["HX-Trigger"])
    for region in (
        "order-panel",
        "sub-orders",
        "numbers",
        "requirements",
        "cancel-panel",
        "history",
    ):
        assert f'id="{region}"' in body
    assert "hx-swap-oob" in body and "Telnyx accepted 1 requirement value." in body
    assert "<html" not in body


@pytest.mark.parametrize(
    "typed",
    ["not-an-id", "8ffb3622-7c6b-4ccc-b65f-7a3dc0099576", "0123", "12345678901234567890"],
    ids=["text", "a UUID (a document's id)", "leading zero", "beyond int64"],
)
def test_value_refused_locally_is_not_sent_and_stays_in_the_form(synced, manager_client, typed):
    order, address = pending_requirement("Address within the number's locality")
    name = requirement_field_name(address.requirement_id)

    response = manager_client.post(update_url(order), form_data(order, **{name: typed}))

    body = response.content.decode()
    assert response.status_code == 422
    part = fieldset(body, address)
    assert part.count('<ul class="errorlist"') == 1
    assert "Choose an address record: its id is a number." in part
    # Shown as the (unknown) choice it was, still chosen.
    assert re.search(rf'name="{name}" value="{typed}" checked aria-invalid="true"', part)
    assert synced.requests == []
    assert not AuditEntry.objects.exists()


def test_form_shown_again_reads_the_comments_once(synced, manager_client):
    order, summary = pending_requirement("Customer type")
    name = requirement_field_name(summary.requirement_id)

    with CaptureQueriesContext(connection) as queries:
        response = manager_client.post(
            update_url(order), form_data(order, **{name: summary.current_value})
        )

    assert response.status_code == 422
    assert 'id="comments"' in response.content.decode()
    read = [q["sql"] for q in queries.captured_queries if '"orders_comment"' in q["sql"]]
    assert len(read) == 1


def test_unchanged_form_sends_nothing(synced, manager_client):
    order, summary = pending_requirement("Customer type")
    name = requirement_field_name(summary.requirement_id)

    response = manager_client.post(
        update_url(order), form_data(order, **{name: summary.current_value})
    )

    assert response.status_code == 422
    assert (
        "Nothing was changed, so there is nothing to send to Telnyx." in response.content.decode()
    )
    assert synced.requests == []


@pytest.mark.parametrize("htmx", [False, True], ids=["without JS", "with HTMX"])
def test_telnyx_refusal_shows_next_to_its_field_and_keeps_what_was_typed(
    synced, manager_client, htmx
):
    order, registration = pending_requirement("Business registration number")
    # The definition cached here no longer says what Telnyx checks: Telnyx refuses instead.
    RequirementDefinition.objects.filter(pk=registration.requirement_id).update(
        acceptance_criteria={}
    )
    name = requirement_field_name(registration.requirement_id)

    response = manager_client.post(
        update_url(order),
        form_data(order, customer_reference="Typed ref", **{name: "12"}),
        headers=HTMX if htmx else {},
    )

    body = response.content.decode()
    assert response.status_code == (200 if htmx else 422)
    part = fieldset(body, registration)
    assert "Must be at least" in part
    assert input_value(part, name) == "12"
    assert input_value(body, "customer_reference") == "Typed ref"
    assert "Telnyx refused the values marked below, so nothing was changed." in body
    assert ">Retry</button>" not in body
    assert AuditEntry.objects.get().outcome == AuditOutcome.REFUSED
    if htmx:
        assert "HX-Trigger" not in response
        assert 'id="history"' in body and 'id="numbers"' not in body


def test_upstream_failure_shows_a_banner_with_a_retry_and_keeps_the_input(synced, manager_client):
    """A 500 answering a write: Telnyx may have applied it, and the page does not say otherwise."""
    order, summary = pending_requirement("Customer type")
    synced.faults.order_faults[str(order.pk)] = "500"
    name = requirement_field_name(summary.requirement_id)
    typed = other_customer_type(summary)

    response = manager_client.post(update_url(order), form_data(order, **{name: typed}))

    body = response.content.decode()
    assert response.status_code == 422
    assert "It is not known whether Telnyx applied the change" in body
    assert "Nothing was changed" not in body
    assert ">Retry</button>" in body
    assert input_value(fieldset(body, summary), name) == typed


def test_fixing_an_order_not_cached_is_404(synced, manager_client):
    response = manager_client.post(
        reverse("order_update", args=["00000000-0000-0000-0000-000000000000"]), {}
    )

    assert response.status_code == 404
    assert synced.requests == []


# --- cancelling a sub order -----------------------------------------------------------------


def test_cancel_asks_for_a_reason_showing_the_numbers_it_drops(synced, manager_client):
    sub_order = cached_sub_order(Status.PENDING)
    url = reverse("sub_order_cancel", args=[sub_order.pk])

    page = manager_client.get(url)
    fragment = manager_client.get(url, headers=HTMX)

    body = page.content.decode()
    assert page.status_code == 200
    for number in sub_order.phone_numbers.all():
        assert number.phone_number in body
    assert '<textarea name="reason"' in body
    assert 'hx-disabled-elt="find button" hx-sync="this:drop"' in body
    assert "<html" in body
    assert fragment.content.decode().lstrip().startswith('<div id="cancel-panel">')
    assert synced.requests == []


def test_cancel_without_javascript_redirects_to_the_order(synced, manager_client):
    sub_order = cached_sub_order(Status.PENDING)

    response = manager_client.post(
        reverse("sub_order_cancel", args=[sub_order.pk]),
        {"reason": "Customer withdrew"},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("order_detail", args=[sub_order.order_id]), 302)]
    body = response.content.decode()
    assert "Telnyx cancelled the" in body
    assert "Customer withdrew" in body  # the history shows the reason
    assert SubOrder.objects.get(pk=sub_order.pk).status == Status.FAILURE


def test_cancel_with_htmx_rerenders_the_order(synced, manager_client):
    sub_order = cached_sub_order(Status.PENDING)

    response = manager_client.post(
        reverse("sub_order_cancel", args=[sub_order.pk]), {"reason": "test"}, headers=HTMX
    )

    body = response.content.decode()
    assert "ordersChanged" in json.loads(response["HX-Trigger"])
    assert '<div id="cancel-panel">' in body and 'id="sub-orders"' in body
    assert 'data-status="cancelled"' in body


def test_cancel_needs_a_reason(synced, manager_client):
    sub_order = cached_sub_order(Status.PENDING)

    response = manager_client.post(reverse("sub_order_cancel", args=[sub_order.pk]), {})

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert synced.requests == []


@pytest.mark.parametrize("htmx", [False, True], ids=["without JS", "with HTMX"])
def test_forged_cancel_of_a_sub_order_not_pending_is_refused_without_calling_telnyx(
    synced, manager_client, htmx
):
    sub_order = SubOrder.objects.exclude(status=Status.PENDING).first()

    response = manager_client.post(
        reverse("sub_order_cancel", args=[sub_order.pk]), headers=HTMX if htmx else {}
    )

    assert response.status_code == (200 if htmx else 422)
    assert f"This sub order is {sub_order.status}, not pending" in response.content.decode()
    assert synced.requests == []
    assert AuditEntry.objects.get().outcome == AuditOutcome.FORBIDDEN


# --- permissions and CSRF -------------------------------------------------------------------


def write_requests(order, sub_order) -> list[tuple[str, str]]:
    return [
        ("post", reverse("order_update", args=[order.pk])),
        ("post", reverse("sub_order_cancel", args=[sub_order.pk])),
        ("get", reverse("sub_order_cancel", args=[sub_order.pk])),
    ]


def test_support_staff_get_403_from_every_write_url_and_nothing_reaches_telnyx(
    synced, support_client
):
    sub_order = cached_sub_order(Status.PENDING)

    for method, url in write_requests(sub_order.order, sub_order):
        response = getattr(support_client, method)(url, {"reason": "x"}, headers=HTMX)
        assert response.status_code == 403, url

    assert synced.requests == []
    assert not AuditEntry.objects.exists()


def test_htmx_posts_need_the_csrf_token(synced, manager_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager_user)
    sub_order = cached_sub_order(Status.PENDING)
    url = reverse("sub_order_cancel", args=[sub_order.pk])

    refused = browser.post(url, {"reason": "no token"}, headers=HTMX)
    # As htmx sends it: the token from <body hx-headers> in the x-csrftoken header.
    browser.get(reverse("order_detail", args=[sub_order.order_id]))
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(url, {"reason": "token"}, headers=HTMX | {"X-CSRFToken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert len(patches(synced)) == 1
