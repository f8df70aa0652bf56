"""Why Telnyx's reviewers decline a requirement value, and the words their comments use: the same
rules decide the generated world's declines and the values written to a running sandbox."""

from datetime import datetime

from sandbox.countries import COUNTRIES
from sandbox.places import PLACES, same_place

# Per document requirement kind, what reviewers find wrong with the scans they deny.
DOCUMENT_DENIALS = {
    "identity_document": (
        "the passport had expired when it was uploaded.",
        "the scan is too blurred to read the document number.",
        "the name on the identity card is not the legal representative's.",
    ),
    "address_proof": (
        "the bill is older than three months.",
        "the name on the statement does not match the end user.",
        "the lease shows an address outside the numbers' locality.",
    ),
}
INFECTED = "the antivirus scan found malware in the file."


def country_name(code: str) -> str:
    return COUNTRIES[code].name if code in COUNTRIES else code


def address_problem(address: dict, *, local: bool, country: str, locality: str) -> str | None:
    """Why an address does not do for a requirement of numbers in `country` and `locality`
    (`local`: one whose address must be in the numbers' locality)."""
    if address["country_code"] != country:
        return f"the address is in {country_name(address['country_code'])}, not in " + (
            f"{country_name(country)}."
        )
    if local and not same_place(address["locality"], locality):
        return (
            f"the address is in {address['locality']}, but the numbers are in {locality}; "
            "it must be in the numbers' locality."
        )
    place = PLACES.get(country)
    code = address.get("postal_code") or ""
    if place is None or not code:
        return None
    if not place.accepts_postal_code(code):
        return f"{code} is not a postal code in {country_name(country)}."
    owner = next((found for found in place.localities if code in found.postal_codes), None)
    if owner and not same_place(owner.name, address["locality"]):
        return f"the postal code {code} belongs to {owner.name}, not to {address['locality']}."
    return None


def text_problem(kind: str, value: str) -> str:
    """What reviewers say when they decline a textual or date value of this kind."""
    if kind == "customer_type":
        other = "a private individual" if value == "business" else "a business"
        return f"the documents show that the end user is {other}."
    if kind == "contact_name":
        return f"{value} is not listed as a legal representative of the end user."
    if kind == "incorporation_date":
        return f"the company register gives another date of incorporation than {value}."
    return f"{value} does not match the company register."


def declined_comment(label: str, reason: str) -> str:
    return f"We declined “{label}”: {reason} Please send a corrected value."


def deadline_comment(deadline: datetime) -> str:
    return (
        f"The deadline for this order's requirements is {deadline:%Y-%m-%d %H:%M} UTC. Numbers "
        "whose requirements are not met by then are cancelled."
    )


def extension_comment(deadline: datetime) -> str:
    return f"We extended the deadline to {deadline:%Y-%m-%d %H:%M} UTC."


def no_extension_comment(status: str) -> str:
    return f"This sub order is {status}, so its deadline no longer applies."
