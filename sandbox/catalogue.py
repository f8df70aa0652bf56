"""Telnyx's catalogue of regulatory requirements: a definition per (country, number type, kind),
the acceptance checks Telnyx applies to a value, and which country and type a number belongs to."""

import random
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sandbox.countries import COUNTRIES, Country

# Requirement ids must not change with the seed (Telnyx's catalogue is global), so they are
# name-based uuids rather than drawn from the rng.
_CATALOGUE_NAMESPACE = uuid.UUID("6f1c1a52-2b0e-4f5c-9a51-0c6d3a1b7e42")


@dataclass(frozen=True)
class Kind:
    """One kind of regulatory requirement, instantiated per (country, number type)."""

    key: str
    strictness: int  # the country strictness from which it applies
    field_type: str
    label: str
    description: str
    example: str
    criteria: dict


ACCEPTED_LOCALLY = "Identical locality as the numbers desired"
KINDS = {
    kind.key: kind
    for kind in [
        Kind(
            "customer_type", 1, "textual", "Customer type",
            "Whether the numbers will be used by a business or by a private individual.",
            "business", {"acceptable_values": ["business", "individual"], "case_sensitive": True},
        ),
        Kind(
            "business_registration", 1, "textual", "Business registration number",
            "", "", {},  # per country: see _definition
        ),
        Kind(
            "contact_name", 2, "textual", "Contact person",
            "Full name of the person responsible for the numbers at the end user.",
            "Maria Rossi", {"min_length": 3, "max_length": 120},
        ),
        Kind(
            "incorporation_date", 2, "datetime", "Date of incorporation",
            "The date on which the end user's company was registered, as an ISO 8601 date.",
            "2014-03-27", {"time_limit": "In the past"},
        ),
        Kind(
            "address_local", 1, "address", "Address within the number's locality",
            "Street, building number, postal code and city of the end user, in the same "
            "locality (area code) as the numbers.", "{address}",
            {"locality_limit": ACCEPTED_LOCALLY},
        ),
        Kind(
            "address_country", 1, "address", "Address in {country}",
            "The end user's registered address in {country}.", "{address}",
            {"locality_limit": "Within {country}"},
        ),
        Kind(
            "identity_document", 2, "document", "Proof of identity (passport or ID card)",
            "A scan of the passport or national identity card of the end user's legal "
            "representative.", "Passport or national identity card",
            {"time_limit": "Current and not expired", "locality_limit": "Issued by any country"},
        ),
        Kind(
            "address_proof", 2, "document", "Proof of address",
            "A utility bill, bank statement or lease showing the end user's address within the "
            "numbers' locality.", "Electricity bill dated within the last three months",
            {"time_limit": "Issued within the last 3 months",
             "locality_limit": ACCEPTED_LOCALLY},
        ),
    ]
}  # fmt: skip

_KINDS_BY_TYPE = {
    "local": ("customer_type", "business_registration", "address_local", "address_proof"),
    "mobile": ("customer_type", "contact_name", "address_country", "identity_document"),
    "national": ("business_registration", "incorporation_date", "address_country"),
    "toll_free": ("business_registration", "incorporation_date", "identity_document"),
}


def kinds_for(country: Country, number_type: str) -> list[Kind]:
    return [
        KINDS[key]
        for key in _KINDS_BY_TYPE[number_type]
        if KINDS[key].strictness <= country.strictness
    ]


def _definition(country: Country, number_type: str, kind: Kind) -> dict:
    registration = country.registration
    values = {"country": country.name, "address": country.address}
    criteria = {
        key: value.format(**values) if isinstance(value, str) else value
        for key, value in kind.criteria.items()
    }
    label, description, example = (
        text.format(**values) for text in (kind.label, kind.description, kind.example)
    )
    if kind.key == "business_registration":
        description = f"The end user's {registration.name} as registered in {country.name}."
        example = registration.example
        criteria = {
            "regex": registration.regex,
            "min_length": registration.min_length,
            "max_length": registration.max_length,
        }
    return {
        "id": str(uuid.uuid5(_CATALOGUE_NAMESPACE, f"{country.code}/{number_type}/{kind.key}")),
        "label": label,
        "description": description,
        "example": example,
        "field_type": kind.field_type,
        "acceptance_criteria": criteria,
        "record_type": "regulatory_requirement",
    }


def build_catalogue() -> dict[tuple[str, str], list[dict]]:
    """Requirement definitions per (country, number type), the same for every seed."""
    return {
        (country.code, number_type): [
            _definition(country, number_type, kind) for kind in kinds_for(country, number_type)
        ]
        for country in COUNTRIES.values()
        for number_type in country.ranges
    }


def classify(phone_number: str) -> tuple[str, str, str] | None:
    """(country, number type, locality) of an E.164 number, by its longest known prefix."""
    digits = phone_number.removeprefix("+")
    best = None
    for country in COUNTRIES.values():
        for number_type, ranges in country.ranges.items():
            for found in ranges:
                if found.matches(digits) and (best is None or len(found.prefix) > len(best[0])):
                    best = (found.prefix, country.code, number_type, found.locality)
    return best[1:] if best else None


def validate_value(definition: dict, value: str) -> str | None:
    """Why `value` is not acceptable for the requirement, or None when it is."""
    criteria = definition["acceptance_criteria"]
    if value == "":
        return "A value is required."
    field_type = definition["field_type"]
    if field_type == "textual":
        if "min_length" in criteria and len(value) < criteria["min_length"]:
            return f"Must be at least {criteria['min_length']} characters long."
        if "max_length" in criteria and len(value) > criteria["max_length"]:
            return f"Must be at most {criteria['max_length']} characters long."
        if "regex" in criteria and not re.fullmatch(criteria["regex"], value):
            return f"Does not match the expected format, e.g. {definition['example']}."
        if criteria.get("acceptable_values") and value not in criteria["acceptable_values"]:
            return "Must be one of: " + ", ".join(criteria["acceptable_values"]) + "."
    elif field_type == "datetime":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return f"Must be an ISO 8601 date or date-time, e.g. {definition['example']}."
    elif field_type == "address":
        # Telnyx's address ids are int64 numbers, sent as strings.
        if not re.fullmatch(r"[1-9][0-9]{0,18}", value) or int(value) >= 2**63:
            return (
                "Must be the id of an existing address record: a number such as "
                "1293384261075731499, not a UUID or the address itself."
            )
    else:
        try:
            valid = str(uuid.UUID(value)) == value.lower()
        except ValueError:
            valid = False
        if not valid:
            return f"Must be the id (a UUID) of an existing {field_type} record."
    return None


def sample_registration(definition: dict, rng: random.Random) -> str:
    """A registration number: the country's example with fresh digits keeps its format."""
    return re.sub(r"\d", lambda _: str(rng.randrange(10)), definition["example"])


def sample_incorporation_date(rng: random.Random) -> str:
    return (date(1985, 1, 1) + timedelta(days=rng.randrange(14000))).isoformat()
