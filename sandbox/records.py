"""The regulatory records as Telnyx's JSON shapes them: addresses, documents, comments and
requirement groups, made alike by the generated world and by a running sandbox's writes."""

import hashlib

from sandbox.files import file_type

ADMIN = "compliance@telnyx.example"  # who Telnyx's reviewers comment as
ACCOUNT_USER = "noc@acme.example"  # who the API key's comments come from
ADDRESS_FIELDS = (
    "customer_reference", "first_name", "last_name", "business_name", "phone_number",
    "street_address", "extended_address", "locality", "administrative_area", "neighborhood",
    "borough", "postal_code", "country_code",
)  # fmt: skip


def address(address_id: str, fields: dict, *, created: str) -> dict:
    """`fields` holds the strings of ADDRESS_FIELDS (missing ones are empty) and may hold the
    booleans address_book and validate_address."""
    return {
        "id": address_id,
        "record_type": "address",
        **{name: fields.get(name, "") for name in ADDRESS_FIELDS},
        "address_book": fields.get("address_book", True),
        "validate_address": fields.get("validate_address", True),
        "created_at": created,
        "updated_at": created,
    }


def document(
    document_id: str,
    *,
    filename: str,
    content: bytes,
    customer_reference: str,
    status: str,
    av_scan_status: str,
    created: str,
) -> dict:
    return {
        "id": document_id,
        "record_type": "document",
        "filename": filename,
        "content_type": file_type(filename).content_type,
        "customer_reference": customer_reference,
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": {"amount": len(content), "unit": "bytes"},
        "status": status,
        "av_scan_status": av_scan_status,
        "created_at": created,
        "updated_at": created,
    }


def comment(
    comment_id: str,
    *,
    record_type: str,
    record_id: str,
    body: str,
    by_admin: bool,
    created: str,
    read_at: str | None = None,
) -> dict:
    return {
        "id": comment_id,
        "body": body,
        "comment_record_type": record_type,
        "comment_record_id": record_id,
        "commenter": ADMIN if by_admin else ACCOUNT_USER,
        "commenter_type": "admin" if by_admin else "user",
        "read_at": read_at,
        "created_at": created,
        "updated_at": read_at or created,
    }


def requirement_group(
    group_id: str,
    *,
    country: str,
    number_type: str,
    customer_reference: str,
    status: str,
    values: list[dict],
    created: str,
) -> dict:
    return {
        "id": group_id,
        "record_type": "requirement_group",
        "action": "ordering",
        "country_code": country,
        "phone_number_type": number_type,
        "customer_reference": customer_reference,
        "status": status,
        "regulatory_requirements": values,
        "created_at": created,
        "updated_at": created,
    }


def group_value(definition: dict, value: str, status: str, *, created: str, expires: str) -> dict:
    """One of a requirement group's values (Telnyx's UserRequirement)."""
    return {
        "requirement_id": definition["id"],
        "field_type": definition["field_type"],
        "field_value": value,
        "status": status,
        "created_at": created,
        "updated_at": created,
        "expires_at": expires,
    }
