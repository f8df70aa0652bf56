"""The sandbox's addresses and documents: the generated paperwork the orders' values refer to,
the endpoints over real HTTP (pages, filters, Telnyx's refusals with pointers), uploads checked
by name and content, and the clock on which uploads are scanned, reviewed and deleted."""

import base64
import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
import requests

from sandbox import documents, files
from sandbox.catalogue import ACCEPTED_LOCALLY
from sandbox.clock import parse_iso
from sandbox.countries import COUNTRIES
from sandbox.data import generate
from sandbox.places import PLACES
from sandbox.verdicts import address_problem
from tests.helpers import EICAR, NEW_ADDRESS, PDF, errors, pointers, upload


def values_of(world_or_box, field_type: str):
    """(number, requirement item) for every non-empty value of that field type."""
    for order in world_or_box.orders.values():
        for number in order["phone_numbers"]:
            for item in number["regulatory_requirements"]:
                if item["field_type"] == field_type and item["field_value"]:
                    yield number, item


# -- the generated paperwork ---------------------------------------------------------------------


def test_every_address_and_document_value_refers_to_a_record_that_fits_its_verdict(sandbox):
    for number, item in values_of(sandbox, "address"):
        address = sandbox.addresses[item["field_value"]]
        definition = sandbox.definitions[item["requirement_id"]]
        local = definition["acceptance_criteria"].get("locality_limit") == ACCEPTED_LOCALLY
        problem = address_problem(
            address, local=local, country=number["country_code"], locality=number["locality"]
        )
        assert bool(problem) == (item["status"] == "declined"), (address, item)
    verdicts = {"approved": "verified", "declined": "denied", "pending-approval": "pending"}
    for _, item in values_of(sandbox, "document"):
        assert sandbox.documents[item["field_value"]]["status"] == verdicts[item["status"]]


def test_paperwork_is_the_same_for_a_seed_and_leaves_the_orders_as_they_were():
    first, again, other = (generate(orders=30, seed=seed) for seed in (4, 4, 5))
    assert json.dumps(first.paperwork.addresses) == json.dumps(again.paperwork.addresses)
    assert json.dumps(first.paperwork.comments) == json.dumps(again.paperwork.comments)
    assert first.paperwork.files == again.paperwork.files
    assert json.dumps(first.paperwork.addresses) != json.dumps(other.paperwork.addresses)
    # Only address and document values differ from what the orders were generated with.
    ids = {item["field_value"] for _, item in values_of(first, "address")}
    assert ids <= set(first.paperwork.addresses)


def test_a_demo_sized_world_has_a_few_hundred_plausible_addresses_in_every_country():
    world = generate(orders=500, seed=1)
    addresses = list(world.paperwork.addresses.values())
    assert 200 <= len(addresses) <= 1000
    assert {a["country_code"] for a in addresses} == set(PLACES)
    for address in addresses:
        assert address["id"].isdigit() and 10**18 <= int(address["id"]) < 2**63
        assert all(
            address[key]
            for key in ("first_name", "last_name", "business_name", "street_address", "locality")
        )
        place = PLACES[address["country_code"]]
        assert place.locality(address["locality"]) is not None
    accepted = [a for a in addresses if place_accepts(a)]
    assert len(accepted) > 0.9 * len(addresses)
    assert len({a["business_name"] for a in addresses}) > len(addresses) / 3


def place_accepts(address: dict) -> bool:
    return PLACES[address["country_code"]].accepts_postal_code(address["postal_code"])


def test_every_regulated_countrys_local_localities_have_address_conventions():
    for country in COUNTRIES.values():
        if country.strictness == 0:
            assert country.code not in PLACES
            continue
        for found in country.ranges.get("local", ()):
            assert PLACES[country.code].locality(found.locality or country.name), found


# -- addresses -----------------------------------------------------------------------------------


def test_addresses_list_newest_first_in_pages(api, sandbox):
    first = api.get("/addresses", params={"page[size]": 5}).json()
    second = api.get("/addresses", params={"page[size]": 5, "page[number]": 2}).json()
    total = len(sandbox.addresses)
    assert first["meta"] == {
        "page_number": 1,
        "page_size": 5,
        "total_pages": -(-total // 5),
        "total_results": total,
    }
    created = [a["created_at"] for a in first["data"] + second["data"]]
    assert created == sorted(created, reverse=True)
    assert first["data"][0]["record_type"] == "address"


def test_addresses_filter_by_customer_reference_and_street(api, sandbox):
    def ids(**params) -> set[str]:
        response = api.get("/addresses", params=params | {"page[size]": 250})
        assert response.status_code == 200, response.text
        return {a["id"] for a in response.json()["data"]}

    reference = next(
        a["customer_reference"]
        for a in sandbox.addresses.values()
        if len(a["customer_reference"]) > 6
    )
    exact = {i for i, a in sandbox.addresses.items() if a["customer_reference"] == reference}
    part = reference[2:6]
    containing = {
        i for i, a in sandbox.addresses.items() if part.lower() in a["customer_reference"].lower()
    }
    assert ids(**{"filter[customer_reference][eq]": reference}) == exact
    assert ids(**{"filter[customer_reference][contains]": part.upper()}) == containing
    assert ids(**{"filter[customer_reference]": part}) == containing
    street = {i for i, a in sandbox.addresses.items() if "strasse" in a["street_address"].lower()}
    assert street and ids(**{"filter[street_address][contains]": "STRASSE"}) == street


def test_street_filter_of_fewer_than_three_characters_is_a_400(api):
    response = api.get("/addresses", params={"filter[street_address][contains]": "st"})
    assert response.status_code == 400
    assert errors(response)[0]["source"] == {"parameter": "filter[street_address][contains]"}


def test_addresses_sort_by_a_field_either_way(api):
    def streets(sort: str) -> list[str]:
        data = api.get("/addresses", params={"sort": sort, "page[size]": 250}).json()["data"]
        return [a["street_address"].lower() for a in data]

    assert streets("street_address") == sorted(streets("street_address"))
    assert streets("-street_address") == sorted(streets("street_address"), reverse=True)
    assert api.get("/addresses", params={"sort": "colour"}).status_code == 400


def test_created_address_is_answered_kept_and_listed_first(api, sandbox):
    response = api.post("/addresses", json=NEW_ADDRESS)
    assert response.status_code == 200, response.text
    address = response.json()["data"]
    assert address["id"].isdigit() and int(address["id"]) < 2**63
    assert {k: address[k] for k in NEW_ADDRESS} == NEW_ADDRESS
    assert address["address_book"] is True and address["extended_address"] == ""
    assert api.get(f"/addresses/{address['id']}").json() == {"data": address}
    assert api.get("/addresses").json()["data"][0] == address


def test_address_missing_required_fields_is_422_with_a_pointer_each(api, sandbox):
    before = dict(sandbox.addresses)
    response = api.post("/addresses", json={"first_name": "Anna", "business_name": "  "})
    assert response.status_code == 422
    assert pointers(response) == [
        "/last_name",
        "/business_name",
        "/street_address",
        "/locality",
        "/country_code",
    ]
    assert {e["code"] for e in errors(response)} == {"10004"}
    assert sandbox.addresses == before


@pytest.mark.parametrize(
    "changes, pointer, words",
    [
        ({"country_code": "XX"}, "/country_code", "ISO 3166-1"),
        ({"postal_code": "80011"}, "/postal_code", "Not a postal code in CH"),
        ({"phone_number": "0441234567"}, "/phone_number", "E.164"),
        ({"locality": 8001}, "/locality", "string"),
        ({"address_book": "yes"}, "/address_book", "true or false"),
        ({"street_address": "x" * 256}, "/street_address", "at most 255"),
    ],
)
def test_invalid_address_field_is_422_pointing_at_it(api, sandbox, changes, pointer, words):
    response = api.post("/addresses", json=NEW_ADDRESS | changes)
    assert response.status_code == 422
    [error] = errors(response)
    assert (error["source"]["pointer"], error["code"]) == (pointer, "10015")
    assert words in error["detail"]


def test_unknown_address_is_404_and_a_body_that_is_not_an_object_400(api):
    assert errors(api.get("/addresses/1293384261075731499"))[0]["code"] == "10005"
    assert api.post("/addresses", data="[]").status_code == 400


# -- documents -----------------------------------------------------------------------------------


def test_multipart_upload_is_kept_pending_and_downloads_as_sent(api, sandbox):
    response = upload(api, "electricity-bill.pdf", PDF, customer_reference="ACME Zürich")
    assert response.status_code == 200, response.text
    document = response.json()["data"]
    assert document["record_type"] == "document"
    assert (document["status"], document["av_scan_status"]) == ("pending", "pending_scan")
    assert document["filename"] == "electricity-bill.pdf"
    assert document["content_type"] == "application/pdf"
    assert document["size"] == {"amount": len(PDF), "unit": "bytes"}
    assert document["customer_reference"] == "ACME Zürich"
    assert api.get(f"/documents/{document['id']}").json() == {"data": document}
    download = api.get(f"/documents/{document['id']}/download")
    assert download.content == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert "electricity-bill.pdf" in download.headers["Content-Disposition"]
    assert hashlib.sha256(download.content).hexdigest() == document["sha256"]


def test_binary_content_survives_a_multipart_upload_byte_for_byte(api):
    content = files.png(3, 3, 13) + bytes(range(256)) + b"\r\n--\r\n\r\n\n\r"
    document = upload(api, "card.png", content).json()["data"]
    assert api.get(f"/documents/{document['id']}/download").content == content


def test_json_upload_takes_base64_and_a_filename(api):
    body = {"file": base64.b64encode(b"name,number\n").decode(), "filename": "numbers.csv"}
    response = api.post("/documents", json=body | {"customer_reference": "PO-1"})
    assert response.status_code == 200, response.text
    document = response.json()["data"]
    assert (document["content_type"], document["customer_reference"]) == ("text/csv", "PO-1")
    assert api.get(f"/documents/{document['id']}/download").content == b"name,number\n"


@pytest.mark.parametrize(
    "body, pointer, words",
    [
        ({"url": "https://example.com/bill.pdf"}, "/url", "offline"),
        ({"file": "not base64!", "filename": "a.pdf"}, "/file", "base64"),
        ({"file": base64.b64encode(PDF).decode()}, "/filename", "name"),
        ({"filename": "a.pdf"}, "/file", "required"),
    ],
)
def test_json_upload_refusals_point_at_the_field(api, sandbox, body, pointer, words):
    count = len(sandbox.documents)
    response = api.post("/documents", json=body)
    assert response.status_code == 422
    assert pointers(response)[0] == pointer
    assert words in errors(response)[0]["detail"]
    assert len(sandbox.documents) == count


def _office(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(part, "<xml/>")
    return buffer.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)


@pytest.mark.parametrize(
    "name, content, content_type",
    [
        ("bill.pdf", PDF, "application/pdf"),
        ("card.png", files.png(4, 4, 100), "image/png"),
        ("card.JPG", b"\xff\xd8\xff\xe0" + bytes(50), "image/jpeg"),
        ("list.csv", b"a,b\n1,2\n", "text/csv"),
        ("note.txt", "Grüezi".encode(), "text/plain"),
        ("data.json", b'{"a": 1}', "application/json"),
        ("form.doc", OLE, "application/msword"),
        ("form.docx", _office("word/document.xml"), files.file_type("x.docx").content_type),
        ("sheet.xls", OLE, "application/vnd.ms-excel"),
        ("sheet.xlsx", _office("xl/workbook.xml"), files.file_type("x.xlsx").content_type),
    ],
)
def test_every_accepted_type_is_taken_with_its_content_type(api, name, content, content_type):
    response = upload(api, name, content)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["content_type"] == content_type


@pytest.mark.parametrize(
    "name, content, pointer, words",
    [
        ("setup.exe", b"MZ", "/filename", "Only PDF, PNG, JPEG"),
        ("scan.png", PDF, "/file", "not PNG"),
        ("bill.pdf", b"", "/file", "empty"),
        ("data.json", b"{oops", "/file", "not JSON"),
        ("form.docx", _office("xl/workbook.xml"), "/file", "not DOCX"),
        ("note.txt", b"\xff\xfe\x00b", "/file", "not TXT"),
    ],
)
def test_files_telnyx_would_refuse_are_422_and_not_kept(
    api, sandbox, name, content, pointer, words
):
    count = len(sandbox.documents)
    response = upload(api, name, content)
    assert response.status_code == 422
    [error] = errors(response)
    assert error["source"]["pointer"] == pointer and words in error["detail"]
    assert len(sandbox.documents) == count


def test_a_file_over_20_mb_is_422_and_a_body_far_over_it_413(api):
    over = upload(api, "big.pdf", b"%PDF-" + bytes(files.MAX_FILE_BYTES))
    assert over.status_code == 422
    assert "20 MB" in errors(over)[0]["detail"]
    huge = api.post("/documents", data=bytes(33 * 2**20), headers={"Content-Type": "text/plain"})
    assert huge.status_code == 413
    assert api.get("/documents").status_code == 200  # the connection is still good


def test_uploads_beyond_what_the_sandbox_keeps_are_refused(api, monkeypatch, sandbox):
    monkeypatch.setattr(documents, "MAX_STORED_BYTES", sum(map(len, sandbox.files.values())) + 10)
    response = upload(api, "bill.pdf", PDF)
    assert response.status_code == 422
    assert "at most" in errors(response)[0]["detail"]


def test_documents_list_newest_first_and_filter_by_name_reference_and_date(api, sandbox):
    made = [
        upload(api, name, PDF, customer_reference=reference).json()["data"]
        for name, reference in [
            ("Invoice-1.pdf", "REF A"),
            ("lease.pdf", "REF B"),
            ("invoice-2.pdf", "REF C"),
        ]
    ]

    def names(**params) -> list[str]:
        response = api.get("/documents", params=params | {"page[size]": 250})
        assert response.status_code == 200, response.text
        return [d["filename"] for d in response.json()["data"]]

    assert names()[:3] == ["invoice-2.pdf", "lease.pdf", "Invoice-1.pdf"]
    assert names(**{"filter[filename][contains]": "INVOICE"}) == ["invoice-2.pdf", "Invoice-1.pdf"]
    assert names(**{"filter[customer_reference][eq]": "REF B"}) == ["lease.pdf"]
    assert names(**{"filter[customer_reference][in][]": ["REF A", "REF C"]}) == [
        "invoice-2.pdf",
        "Invoice-1.pdf",
    ]
    assert names(**{"filter[created_at][gt]": made[0]["created_at"]}) == [
        "invoice-2.pdf",
        "lease.pdf",
    ]
    assert (
        len(names(**{"filter[created_at][lt]": made[0]["created_at"]}))
        == len(sandbox.documents) - 3
    )
    by_name = names(**{"sort[]": "filename"})
    assert by_name == sorted(by_name)
    assert api.get("/documents", params={"sort[]": "size"}).status_code == 400


def test_unknown_document_is_404_for_its_record_and_its_download(api):
    unknown = "6d3c2f8e-7a51-4c0b-9d1e-2f4a5b6c7d8e"
    assert api.get(f"/documents/{unknown}").status_code == 404
    assert api.get(f"/documents/{unknown}/download").status_code == 404


# -- the clock -------------------------------------------------------------------------------------


def test_an_upload_is_scanned_then_verified_as_the_clock_moves(api, sandbox):
    document_id = upload(api, "bill.pdf", PDF).json()["data"]["id"]

    def seen() -> tuple[str, str]:
        document = api.get(f"/documents/{document_id}").json()["data"]
        return document["status"], document["av_scan_status"]

    sandbox.advance_clock(timedelta(seconds=11))
    assert seen() == ("pending", "scanned")
    sandbox.advance_clock(timedelta(minutes=2))
    assert seen() == ("verified", "scanned")


def test_an_infected_upload_is_denied(api, sandbox):
    document_id = upload(api, "virus.txt", EICAR).json()["data"]["id"]
    sandbox.advance_clock(timedelta(minutes=3))
    document = api.get(f"/documents/{document_id}").json()["data"]
    assert (document["status"], document["av_scan_status"]) == ("denied", "infected")


def test_an_upload_no_value_refers_to_is_deleted_after_30_minutes(api, sandbox):
    document_id = upload(api, "bill.pdf", PDF).json()["data"]["id"]
    sandbox.advance_clock(timedelta(minutes=29))
    assert api.get(f"/documents/{document_id}").status_code == 200
    control = sandbox.url.removesuffix("/v2") + "/_sandbox/clock"
    moved = requests.post(control, json={"advance_seconds": 61}, headers=api.headers, timeout=5)
    assert moved.status_code == 200 and moved.json()["data"]["now"]
    assert api.get(f"/documents/{document_id}").status_code == 404
    assert api.get(f"/documents/{document_id}/download").status_code == 404
    listed = api.get("/documents", params={"page[size]": 250}).json()["data"]
    assert document_id not in {d["id"] for d in listed}


def test_the_clock_only_moves_forward_and_its_control_needs_the_key(api, sandbox):
    control = sandbox.url.removesuffix("/v2") + "/_sandbox/clock"
    before = parse_iso(requests.get(control, headers=api.headers, timeout=5).json()["data"]["now"])
    for body in ({"advance_seconds": -3600}, {"advance_seconds": "soon"}, {}):
        refused = requests.post(control, json=body, headers=api.headers, timeout=5)
        assert refused.status_code == 400
    assert requests.post(control, json={"advance_seconds": 3600}, timeout=5).status_code == 401
    after = parse_iso(requests.get(control, headers=api.headers, timeout=5).json()["data"]["now"])
    assert before <= after < before + timedelta(minutes=10)
