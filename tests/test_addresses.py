"""Address requirements: the cache of the account's addresses, the fix form's picker (search
with HTMX or without JavaScript), creating an address in place, and what support staff may do."""

import re

import pytest
from django.urls import reverse

from orders.models import Address, AuditEntry, AuditOutcome, RequirementValue
from orders.requirement_forms import requirement_field_name, search_field_name
from orders.selectors.addresses import address_label
from orders.services.addresses import addresses_sync
from tests.helpers import (
    FAKE_TELNYX,
    HTMX,
    fieldset,
    form_data,
    html_section,
    patches,
    pending_requirement,
)

LOCAL_ADDRESS = "Address within the number's locality"


def picker_url(order, summary) -> str:
    return reverse("requirement_picker", args=[order.pk, summary.requirement_id])


def create_url(order, summary) -> str:
    return reverse("address_create", args=[order.pk, summary.requirement_id])


def new_address(summary, **fields) -> dict:
    """The picker's "New address" fields as the page posts them."""
    prefix = f"address-{summary.requirement_id.hex}"
    typed = {
        "business_name": "Keller Treuhand Ltd",
        "first_name": "Anna",
        "last_name": "Keller",
        "street_address": "12 Bennetts Hill",
        "locality": "Birmingham",
        "postal_code": "B2 5RS",
        "country_code": "GB",
    } | fields
    return {f"{prefix}-{name}": value for name, value in typed.items()}


def local_address_requirement():
    """A pending order asking for an address in its numbers' locality, in GB (whose postal
    codes the sandbox checks), and that requirement."""
    order, summary = pending_requirement(LOCAL_ADDRESS)
    assert "GB local" in summary.sub_orders, "the seed's newest such order is no longer in GB"
    return order, summary


# --- the cache ----------------------------------------------------------------------------------


def test_the_sync_caches_every_address_as_telnyx_numbers_it(synced):
    assert Address.objects.count() == len(synced.addresses)
    some_id, data = next(iter(synced.addresses.items()))
    cached = Address.objects.get(pk=some_id)
    assert some_id.isdigit() and cached.business_name == data["business_name"]


def test_addresses_are_walked_again_only_once_an_hour_and_gone_ones_forgotten(synced):
    assert addresses_sync() is None  # just synced: nothing asked
    assert synced.requests == []
    gone_id = next(iter(synced.addresses))
    del synced.addresses[gone_id]

    seen = addresses_sync(force=True)

    assert seen == len(synced.addresses)
    assert not Address.objects.filter(pk=gone_id).exists()
    pages = [r.query for r in synced.requests if r.path == "/v2/addresses"]
    assert pages and all(query["page[size]"] == "250" for query in pages)


def test_a_failed_walk_forgets_nothing(synced):
    before = Address.objects.count()
    synced.faults.error_rate = 1.0

    with pytest.raises(Exception, match="500"):
        addresses_sync(force=True)

    assert Address.objects.count() == before


# --- the picker ---------------------------------------------------------------------------------


def test_current_values_show_as_the_address_never_a_bare_id(synced, support_client):
    address = Address.objects.filter(country_code="GB").first()
    order, summary = local_address_requirement()
    RequirementValue.objects.filter(
        phone_number__order=order, requirement_id=summary.requirement_id
    ).update(field_value=address.pk)

    body = support_client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert address_label(address) in body
    assert f">{address.pk}<" not in body


def test_search_with_htmx_lists_matching_addresses_in_the_numbers_place(synced, manager_client):
    order, summary = local_address_requirement()
    street = Address.objects.filter(country_code="GB", locality="Birmingham").first()
    part = street.street_address.split()[-2]  # e.g. "High" of "16 High Street"
    elsewhere = Address.objects.exclude(locality="Birmingham").filter(
        street_address__icontains=part
    )

    response = manager_client.get(
        picker_url(order, summary), {search_field_name(summary.requirement_id): part}, headers=HTMX
    )

    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert address_label(street) in body
    for other in elsewhere:
        assert other.pk not in body
    radios = re.findall(
        rf'name="{requirement_field_name(summary.requirement_id)}" value="(\d+)"', body
    )
    assert radios and all(
        Address.objects.get(pk=value).locality == "Birmingham" for value in radios
    )
    assert synced.requests == []  # searched in the cache


def test_search_finds_business_names_and_customer_references(synced, manager_client):
    order, summary = local_address_requirement()
    address = Address.objects.filter(country_code="GB", locality="Birmingham").last()
    for text in (address.business_name[:6], address.customer_reference):
        body = manager_client.get(
            picker_url(order, summary),
            {search_field_name(summary.requirement_id): text},
            headers=HTMX,
        ).content.decode()
        assert address_label(address) in body, text


def test_search_without_javascript_shows_the_page_with_results_and_keeps_what_was_typed(
    synced, manager_client
):
    order, summary = local_address_requirement()
    address = Address.objects.filter(country_code="GB", locality="Birmingham").first()
    typed = form_data(order, customer_reference="typed before searching")
    typed[search_field_name(summary.requirement_id)] = address.business_name

    response = manager_client.get(picker_url(order, summary), typed)

    body = response.content.decode()
    assert response.status_code == 200 and "<html" in body
    assert 'value="typed before searching"' in body
    assert address_label(address) in fieldset(body, summary)


def test_picking_an_address_sends_its_id_and_the_page_shows_it(synced, manager_client):
    order, summary = local_address_requirement()
    address = Address.objects.filter(country_code="GB", locality="Birmingham").first()
    name = requirement_field_name(summary.requirement_id)

    response = manager_client.post(
        reverse("order_update", args=[order.pk]),
        form_data(order, **{name: address.pk}),
        follow=True,
    )

    assert [r.body["regulatory_requirements"] for r in patches(synced)] == [
        [{"requirement_id": str(summary.requirement_id), "field_value": address.pk}]
    ]
    part = fieldset(response.content.decode(), summary)
    assert re.search(rf'name="{name}" value="{address.pk}" checked', part)
    assert address_label(address) in part


def test_an_address_id_must_be_telnyx_s_number(synced, manager_client):
    order, summary = local_address_requirement()
    name = requirement_field_name(summary.requirement_id)
    document_id = "8ffb3622-7c6b-4ccc-b65f-7a3dc0099576"

    response = manager_client.post(
        reverse("order_update", args=[order.pk]), form_data(order, **{name: document_id})
    )

    assert response.status_code == 422
    assert "Choose an address record: its id is a number." in response.content.decode()
    assert synced.requests == []


# --- a new address --------------------------------------------------------------------------


def test_a_new_address_is_created_cached_audited_and_chosen(synced, manager_client, manager_user):
    order, summary = local_address_requirement()
    data = form_data(order) | new_address(summary)

    response = manager_client.post(create_url(order, summary), data, headers=HTMX)

    body = response.content.decode()
    created = Address.objects.get(business_name="Keller Treuhand Ltd")
    assert created.pk in synced.addresses and created.pk.isdigit()
    assert f'id="picker-{summary.requirement_id.hex}"' in body
    assert re.search(
        rf'name="{requirement_field_name(summary.requirement_id)}" value="{created.pk}" checked',
        body,
    )
    assert "created at Telnyx and chosen" in body  # the message, out of band
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ADDRESS_CREATE)
    assert (entry.outcome, entry.user, entry.order_id) == (
        AuditOutcome.SUCCESS,
        manager_user,
        order.pk,
    )
    assert entry.sent["body"]["street_address"] == "12 Bennetts Hill"
    history = html_section(
        manager_client.get(reverse("order_detail", args=[order.pk])).content.decode(), "history"
    )
    assert "Create an address: Keller Treuhand Ltd, 12 Bennetts Hill, Birmingham" in history
    assert patches(synced) == []  # chosen, not yet sent


def test_a_new_address_without_javascript_shows_the_page_with_it_chosen(synced, manager_client):
    order, summary = local_address_requirement()
    data = form_data(order, customer_reference="kept") | new_address(summary)

    response = manager_client.post(create_url(order, summary), data)

    body = response.content.decode()
    created = Address.objects.get(business_name="Keller Treuhand Ltd")
    assert response.status_code == 200 and "<html" in body
    assert 'value="kept"' in body
    assert re.search(rf'value="{created.pk}" checked', fieldset(body, summary))


def test_missing_fields_are_marked_and_nothing_is_sent(synced, manager_client):
    order, summary = local_address_requirement()
    data = form_data(order) | new_address(summary, first_name="", street_address="")

    response = manager_client.post(create_url(order, summary), data, headers=HTMX)

    body = response.content.decode()
    assert body.count("This field is required.") == 2
    assert 'value="Keller Treuhand Ltd"' in body  # what was typed is kept
    assert synced.requests == [] and not AuditEntry.objects.exists()


def test_telnyx_refusal_shows_next_to_its_field_with_what_was_typed(synced, manager_client):
    order, summary = local_address_requirement()
    before = Address.objects.count()
    data = form_data(order) | new_address(summary, postal_code="8001")

    response = manager_client.post(create_url(order, summary), data, headers=HTMX)

    body = response.content.decode()
    field = re.search(r'postal_code">Postal code:</label>.*?</div>', body, re.DOTALL)[0]
    assert "Not a postal code in GB" in field
    assert 'value="8001"' in field
    assert Address.objects.count() == before
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.http_status) == (
        AuditEntry.Action.ADDRESS_CREATE,
        AuditOutcome.REFUSED,
        422,
    )


def test_a_server_error_may_have_created_it_which_is_said_and_nothing_is_cached(
    synced, manager_client
):
    order, summary = local_address_requirement()
    before = Address.objects.count()
    synced.faults.error_rate = 1.0

    response = manager_client.post(
        create_url(order, summary), form_data(order) | new_address(summary)
    )

    assert response.status_code == 422
    assert "may have been created at Telnyx anyway" in response.content.decode()
    assert Address.objects.count() == before
    assert AuditEntry.objects.get().outcome == AuditOutcome.UNKNOWN


# --- permissions ----------------------------------------------------------------------------


def test_support_staff_can_neither_search_nor_create(synced, support_client):
    order, summary = local_address_requirement()

    searched = support_client.get(picker_url(order, summary), headers=HTMX)
    created = support_client.post(create_url(order, summary), new_address(summary))

    assert (searched.status_code, created.status_code) == (403, 403)
    assert synced.requests == [] and not AuditEntry.objects.exists()


def test_creating_an_address_needs_the_csrf_token(synced, manager_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(manager_user)
    order, summary = local_address_requirement()

    response = client.post(create_url(order, summary), new_address(summary))

    assert response.status_code == 403
    assert synced.requests == []


def test_addresses_telnyx_sends_badly_are_cut_to_fit_or_left_out(mocked_telnyx, db):
    good = {"id": "1293384261075731499", "business_name": "Acme\x00 AG" + "x" * 400, "locality": 7}
    listing = {
        "data": [good, {"id": "not-a-number"}, {"id": "١٢٣"}, {"business_name": "no id"}],
        "meta": {"total_pages": 1},
    }
    mocked_telnyx.get(f"{FAKE_TELNYX}/addresses", json=listing)

    assert addresses_sync() == 1

    cached = Address.objects.get()
    assert cached.business_name == ("Acme AG" + "x" * 400)[:255]
    assert cached.locality == "7" and cached.created_at is None


def test_an_address_not_cached_yet_is_asked_of_telnyx_and_cached(synced, manager_client):
    order, summary = local_address_requirement()
    address = Address.objects.filter(country_code="GB", locality="Birmingham").first()
    # Made at Telnyx since the last sync, as far as the cache knows.
    Address.objects.filter(pk=address.pk).delete()

    body = manager_client.get(
        picker_url(order, summary),
        {search_field_name(summary.requirement_id): address.street_address},
        headers=HTMX,
    ).content.decode()

    assert address_label(address) in body
    assert Address.objects.filter(pk=address.pk).exists()
    asked = [r.query for r in synced.requests if r.path == "/v2/addresses"]
    assert {"filter[street_address][contains]": address.street_address}.items() <= asked[0].items()


def test_when_telnyx_cannot_help_the_search_says_nothing_matches(synced, manager_client):
    order, summary = local_address_requirement()
    synced.faults.error_rate = 1.0

    response = manager_client.get(
        picker_url(order, summary),
        {search_field_name(summary.requirement_id): "no such street"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "Nothing cached matches “no such street”" in response.content.decode()
