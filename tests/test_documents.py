"""Document requirements: the cache of uploads, the picker, uploading a file and fixing the
requirement with it in one action, its limits, failures on either step, and downloads."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orders.models import AuditEntry, AuditOutcome, Document
from orders.requirement_forms import requirement_field_name, search_field_name, upload_field_name
from orders.services.documents import documents_sync
from orders.uploads import MAX_UPLOAD_BYTES, checked_upload
from tests.helpers import (
    EICAR,
    FAKE_TELNYX,
    HTMX,
    PDF,
    fieldset,
    form_data,
    html_section,
    patches,
    pending_requirement,
)

PROOF = "Proof of address"


def update_url(order) -> str:
    return reverse("order_update", args=[order.pk])


def with_file(order, summary, name: str = "bill.pdf", content: bytes = PDF, **values) -> dict:
    """The requirements form as posted with a file chosen for `summary`."""
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return form_data(order, **values) | {upload_field_name(summary.requirement_id): upload}


def uploaded(box) -> list[dict]:
    return [d for d in box.documents.values() if d["filename"] == "bill.pdf"]


# --- the cache ----------------------------------------------------------------------------------


def test_the_sync_caches_documents_with_their_statuses(synced):
    assert Document.objects.count() == len(synced.documents)
    data = next(iter(synced.documents.values()))
    cached = Document.objects.get(pk=data["id"])
    assert (cached.filename, cached.status, cached.av_scan_status, cached.size) == (
        data["filename"],
        data["status"],
        data["av_scan_status"],
        data["size"]["amount"],
    )


def test_an_upload_telnyx_deleted_after_30_minutes_is_forgotten(synced, api):
    response = api.post("/documents", files={"file": ("stray.pdf", PDF)})
    documents_sync()
    stray = Document.objects.get(pk=response.json()["data"]["id"])

    synced.advance_clock(timedelta(minutes=31))
    documents_sync()

    assert not Document.objects.filter(pk=stray.pk).exists()


# --- the picker ---------------------------------------------------------------------------------


def test_the_picker_finds_documents_by_file_name(synced, manager_client):
    order, summary = pending_requirement(PROOF)
    # The current one is shown above the results, with its name.
    document = Document.objects.exclude(pk=summary.current_value).first()
    part = document.filename.split("-")[0]

    body = manager_client.get(
        reverse("requirement_picker", args=[order.pk, summary.requirement_id]),
        {search_field_name(summary.requirement_id): part},
        headers=HTMX,
    ).content.decode()

    assert document.filename in body
    shown = re.findall(r'<span class="record">([^<]+)', body)
    assert shown and all(part.lower() in name.lower() for name in shown)


def test_a_manager_sees_the_current_document_s_name_status_and_a_download_link(
    synced, manager_client
):
    order, summary = pending_requirement(PROOF)
    document = Document.objects.get(pk=summary.current_value)

    part = fieldset(
        manager_client.get(reverse("order_detail", args=[order.pk])).content.decode(), summary
    )

    assert document.filename in part
    assert f'data-status="{document.status}"' in part
    assert reverse("document_download", args=[document.pk]) in part


# --- upload and fix in one action -----------------------------------------------------------


def test_an_upload_is_sent_with_the_order_update_in_one_action(synced, manager_client):
    order, summary = pending_requirement(PROOF)

    response = manager_client.post(update_url(order), with_file(order, summary), follow=True)

    [document] = uploaded(synced)
    assert synced.files[document["id"]] == PDF
    assert document["customer_reference"] == order.customer_reference
    assert [r.body["regulatory_requirements"] for r in patches(synced)] == [
        [{"requirement_id": str(summary.requirement_id), "field_value": document["id"]}]
    ]
    body = response.content.decode()
    assert "uploading “bill.pdf”" in body
    assert "Upload a document: bill.pdf" in html_section(body, "history")
    assert re.search(rf'value="{document["id"]}" checked', fieldset(body, summary))
    actions = AuditEntry.objects.order_by("id").values_list("action", "outcome")
    assert list(actions) == [
        (AuditEntry.Action.DOCUMENT_UPLOAD, AuditOutcome.SUCCESS),
        (AuditEntry.Action.UPDATE, AuditOutcome.SUCCESS),
    ]
    # Linked in time: Telnyx keeps it.
    synced.advance_clock(timedelta(minutes=31))
    assert document["id"] in synced.documents


def test_with_htmx_the_upload_swaps_the_regions(synced, manager_client):
    order, summary = pending_requirement(PROOF)

    response = manager_client.post(update_url(order), with_file(order, summary), headers=HTMX)

    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "ordersChanged" in response["HX-Trigger"]
    assert "bill.pdf" in body


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bill.exe", PDF, "Telnyx takes only PDF, PNG, JPEG"),
        ("bill.pdf", b"\x89PNG\r\n\x1a\n....", "content is not PDF, although"),
        ("bill.pdf", b"", "The file is empty."),
    ],
    ids=["type", "content", "empty"],
)
def test_a_file_telnyx_would_refuse_is_refused_before_sending(
    synced, manager_client, name, content, message
):
    order, summary = pending_requirement(PROOF)

    response = manager_client.post(update_url(order), with_file(order, summary, name, content))

    assert response.status_code == 422
    part = fieldset(response.content.decode(), summary)
    assert message in part
    assert synced.requests == [] and not AuditEntry.objects.exists()


def test_over_20_mb_is_refused_before_sending():
    big = SimpleUploadedFile("scan.pdf", b"%PDF-" + b"0" * MAX_UPLOAD_BYTES)

    with pytest.raises(ValidationError, match="at most 20 MB"):
        checked_upload(big)


def test_a_failed_upload_sends_no_update(synced, manager_client):
    order, summary = pending_requirement(PROOF)
    synced.faults.error_rate = 1.0

    response = manager_client.post(update_url(order), with_file(order, summary))

    body = response.content.decode()
    assert response.status_code == 422
    assert "The order was not changed. Should the file have reached Telnyx" in body
    assert "“bill.pdf” may not have been uploaded." in fieldset(body, summary)
    assert patches(synced) == []
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome) == (
        AuditEntry.Action.DOCUMENT_UPLOAD,
        AuditOutcome.UNKNOWN,
    )


def test_a_failed_update_after_the_upload_says_it_may_be_lost_and_the_retry_links_it(
    synced, manager_client, cache_snapshot
):
    order, summary = pending_requirement(PROOF)
    before = cache_snapshot(order.pk)
    synced.faults.order_faults[str(order.pk)] = "500"

    response = manager_client.post(update_url(order), with_file(order, summary))

    body = response.content.decode()
    [document] = uploaded(synced)
    assert response.status_code == 422
    assert "retry now, or the upload may be lost" in body
    assert ">Retry</button>" in body
    # The form now holds the uploaded document: the retry sends it, not the file again.
    name = requirement_field_name(summary.requirement_id)
    assert re.search(rf'name="{name}" value="{document["id"]}" checked', fieldset(body, summary))
    assert cache_snapshot(order.pk) == before
    assert list(AuditEntry.objects.order_by("id").values_list("action", "outcome")) == [
        (AuditEntry.Action.DOCUMENT_UPLOAD, AuditOutcome.SUCCESS),
        (AuditEntry.Action.UPDATE, AuditOutcome.UNKNOWN),  # a 500 after sending
    ]

    del synced.faults.order_faults[str(order.pk)]
    retried = manager_client.post(update_url(order), form_data(order, **{name: document["id"]}))

    assert retried.status_code == 302
    assert len(uploaded(synced)) == 1
    assert patches(synced)[-1].body["regulatory_requirements"][0]["field_value"] == document["id"]


# --- downloads and permissions ------------------------------------------------------------------


def test_support_staff_download_a_document_through_the_site(synced, support_client):
    document = Document.objects.filter(content_type="application/pdf").first()

    response = support_client.get(reverse("document_download", args=[document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == synced.files[str(document.pk)]
    assert response["Content-Type"] == "application/pdf"
    assert document.filename in response["Content-Disposition"]


def test_a_download_telnyx_cannot_give_goes_back_saying_why(synced, support_client):
    order, summary = pending_requirement(PROOF)
    document = Document.objects.get(pk=summary.current_value)
    synced.faults.error_rate = 1.0
    back = reverse("order_detail", args=[order.pk])

    response = support_client.get(
        reverse("document_download", args=[document.pk]), {"next": back}, follow=True
    )

    assert response.redirect_chain == [(back, 302)]
    assert f"“{document.filename}” could not be downloaded" in response.content.decode()


def test_only_cached_documents_download_and_only_for_people_who_may_view(
    synced, client, nobody_user
):
    unknown = reverse("document_download", args=["00000000-0000-4000-8000-000000000000"])
    client.force_login(nobody_user)
    document = Document.objects.first()

    assert client.get(reverse("document_download", args=[document.pk])).status_code == 403
    client.logout()
    assert client.get(unknown).status_code == 302  # to the log-in page
    assert synced.requests == []


def test_support_staff_see_names_and_statuses_but_cannot_upload(synced, support_client):
    order, summary = pending_requirement(PROOF)
    document = Document.objects.get(pk=summary.current_value)

    body = support_client.get(reverse("order_detail", args=[order.pk])).content.decode()
    response = support_client.post(update_url(order), with_file(order, summary))

    assert f"{document.filename} ({document.status})" in body
    assert upload_field_name(summary.requirement_id) not in body
    assert response.status_code == 403
    assert synced.requests == [] and not AuditEntry.objects.exists()


def test_an_infected_upload_is_denied_by_telnyx_later_and_shown_so(synced, manager_client):
    order, summary = pending_requirement(PROOF)
    manager_client.post(update_url(order), with_file(order, summary, "bill.txt", EICAR))
    synced.advance_clock(timedelta(seconds=11))

    documents_sync()

    document = Document.objects.get(filename="bill.txt")
    assert (document.status, document.av_scan_status) == ("denied", "infected")


def test_documents_telnyx_sends_badly_are_cut_to_fit_or_left_out(mocked_telnyx, db):
    good = {
        "id": "5680bc30-43a5-4ccf-813d-622b2dd72cea",
        "filename": "scan\x00.pdf",
        "size": {"amount": "huge"},
        "status": ["verified"],
        "created_at": "2026-02-30T10:00:00Z",
    }
    listing = {"data": [good, {"id": "1293384261075731499"}, {}], "meta": {"total_pages": 1}}
    mocked_telnyx.get(f"{FAKE_TELNYX}/documents", json=listing)

    assert documents_sync() == 1

    cached = Document.objects.get()
    assert (cached.filename, cached.size, cached.status, cached.created_at) == (
        "scan.pdf",
        None,
        "['verified']",
        None,
    )


def test_a_file_name_with_line_breaks_downloads_under_a_safe_name(synced, support_client):
    document = Document.objects.filter(content_type="application/pdf").first()
    Document.objects.filter(pk=document.pk).update(filename="bill\r\nX-Evil: 1.pdf")

    response = support_client.get(reverse("document_download", args=[document.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="billX-Evil: 1.pdf"'


def test_a_document_id_must_be_a_uuid_not_an_address_s_number(synced, manager_client):
    order, summary = pending_requirement(PROOF)
    name = requirement_field_name(summary.requirement_id)

    response = manager_client.post(
        update_url(order), form_data(order, **{name: "1293384261075731499"})
    )

    assert response.status_code == 422
    assert "Choose a document record: its id is a UUID." in fieldset(
        response.content.decode(), summary
    )
    assert synced.requests == []
