"""Address and document requirements in a real browser (Chromium through Playwright) against
the sandbox: searching and picking an address, creating one in place, uploading a PDF, and
what support staff see of them."""

import pytest
from playwright.sync_api import Page, expect

from orders.models import Address, Document
from orders.selectors.addresses import address_label
from tests.helpers import PDF, login, pending_requirement

pytestmark = pytest.mark.browser

LOCAL_ADDRESS = "Address within the number's locality"
PROOF = "Proof of address"


def current_record(page: Page, summary):
    """The first current value of a requirement, as its fieldset in the form shows it."""
    return page.locator(f"#fix-{summary.requirement_id} .requirement-facts .record").first


def send_and_refresh(page: Page, accepted: str) -> None:
    page.get_by_role("button", name="Send changes to Telnyx").click()
    expect(page.locator("#messages")).to_contain_text(accepted)
    page.get_by_role("button", name="Refresh from Telnyx").click()
    expect(page.locator("#messages")).to_contain_text("Refreshed from Telnyx.")


def test_manager_fixes_an_address_requirement_by_searching_and_picking(
    page: Page, roles, synced, manager_user
):
    order, summary = pending_requirement(LOCAL_ADDRESS)
    address = Address.objects.filter(country_code="GB", locality="Birmingham").last()
    login(page, "manager")
    page.goto(f"/orders/{order.pk}/")
    fieldset = page.locator(f"#fix-{summary.requirement_id}")
    posted = []
    page.on("request", lambda request: request.method == "POST" and posted.append(request.url))

    search = fieldset.get_by_label("Find an address")
    search.press_sequentially(address.business_name)
    search.press("Enter")  # searches: sends nothing to Telnyx
    results = fieldset.locator(".picker-results .record")
    expect(results).to_have_count(
        Address.objects.filter(
            locality="Birmingham", business_name__icontains=address.business_name
        ).count()
    )
    results.get_by_text(address_label(address)).click()
    send_and_refresh(page, "Telnyx accepted 1 requirement value.")
    # Enter searched: the form was sent once, by its button.
    assert [url for url in posted if url.endswith("/requirements/")] == [
        page.url.removesuffix("/") + "/requirements/"
    ]

    expect(current_record(page, summary)).to_have_text(address_label(address))
    expect(page.locator("#numbers")).to_contain_text(address_label(address))


def test_manager_creates_an_address_in_place_and_it_is_chosen(
    page: Page, roles, synced, manager_user
):
    order, summary = pending_requirement(LOCAL_ADDRESS)
    login(page, "manager")
    page.goto(f"/orders/{order.pk}/")
    picker = page.locator(f"#picker-{summary.requirement_id.hex}")

    picker.get_by_text("New address").click()
    picker.get_by_label("Business name").fill("Keller Treuhand Ltd")
    picker.get_by_label("First name").fill("Anna")
    picker.get_by_label("Last name").fill("Keller")
    picker.get_by_label("Street and number").fill("12 Bennetts Hill")
    picker.get_by_label("Postal code").fill("B2 5RS")
    picker.get_by_role("button", name="Create and choose").click()

    expect(page.locator("#messages")).to_contain_text("created at Telnyx and chosen")
    chosen = page.locator(f"#picker-{summary.requirement_id.hex} input[type=radio]:checked")
    created = Address.objects.get(business_name="Keller Treuhand Ltd")
    expect(chosen).to_have_value(created.pk)
    send_and_refresh(page, "Telnyx accepted 1 requirement value.")
    expect(page.locator("#numbers")).to_contain_text("Keller Treuhand Ltd, 12 Bennetts Hill")


def test_manager_uploads_a_pdf_and_sees_it_on_the_order_after_the_refresh(
    page: Page, roles, synced, manager_user
):
    order, summary = pending_requirement(PROOF)
    login(page, "manager")
    page.goto(f"/orders/{order.pk}/")
    fieldset = page.locator(f"#fix-{summary.requirement_id}")

    fieldset.get_by_label("Or upload a new file").set_input_files(
        {"name": "electricity-bill.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    send_and_refresh(page, "uploading “electricity-bill.pdf”")

    document = Document.objects.get(filename="electricity-bill.pdf")
    current = current_record(page, summary)
    expect(current).to_contain_text("electricity-bill.pdf")
    expect(current.locator(".badge")).to_have_text(document.status)
    expect(current.get_by_role("link", name="Download")).to_have_attribute(
        "href", f"/documents/{document.pk}/download/?next=/orders/{order.pk}/"
    )


def test_support_staff_see_addresses_and_documents_read_only(
    page: Page, roles, synced, support_user
):
    order, summary = pending_requirement(PROOF)
    document = Document.objects.get(pk=summary.current_value)
    login(page, "support")
    page.goto(f"/orders/{order.pk}/")

    numbers = page.locator("#numbers")
    expect(numbers).to_contain_text(f"{document.filename} ({document.status})")
    expect(page.locator("input[type=file]")).to_have_count(0)
    expect(page.locator("input[type=search][name^=search_]")).to_have_count(0)
    with page.expect_download() as download:
        numbers.locator(f'a[href="/documents/{document.pk}/download/"]').first.click()
    assert download.value.suggested_filename == document.filename
