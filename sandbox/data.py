"""Deterministic, realistic Telnyx number-order data for the sandbox.

Everything is drawn from one `random.Random(seed)` and dated back from a fixed base date, so a seed
always yields byte-identical orders. The dicts are shaped exactly as Telnyx's JSON: an order holds
its full phone numbers (as `GET /number_orders/{id}` answers), sub orders are kept apart (as
`GET /sub_number_orders/{id}` answers).

The rules that tie statuses together (`rollup_number`, `rollup_sub_order`, `rollup_order`) live
here too, because the server's writes must keep the data as consistent as generation made it.
"""

import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

BASE_DATE = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
HISTORY_DAYS = 120
DEADLINE = timedelta(days=2)

# Requirement ids must not change with the seed (Telnyx's catalogue is global), so they are
# name-based uuids rather than drawn from the rng.
_CATALOGUE_NAMESPACE = uuid.UUID("6f1c1a52-2b0e-4f5c-9a51-0c6d3a1b7e42")

NUMBER_TYPES = ("local", "mobile", "national", "toll_free")
_TYPE_WEIGHTS = {"local": 6, "mobile": 2, "national": 1, "toll_free": 2}


@dataclass(frozen=True)
class Range:
    """Numbers of one type in one place: `prefix` (country code included) then `digits` more."""

    prefix: str
    digits: int
    locality: str

    def matches(self, digits: str) -> bool:
        return digits.startswith(self.prefix) and len(digits) == len(self.prefix) + self.digits


@dataclass(frozen=True)
class Registration:
    """How businesses are registered in a country: the local name and format of the number."""

    name: str
    example: str
    regex: str
    min_length: int
    max_length: int


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    weight: int
    # 0: no regulatory requirements (as for US/CA numbers), 1: basic, 2: everything.
    strictness: int
    ranges: dict[str, tuple[Range, ...]]
    registration: Registration | None = None
    address: str = ""


def _ranges(name: str, **types: list[tuple[str, int, str | None]]) -> dict:
    return {
        kind: tuple(Range(prefix, digits, locality or name) for prefix, digits, locality in entries)
        for kind, entries in types.items()
    }


# fmt: off
COUNTRIES: dict[str, Country] = {c.code: c for c in [
    Country("US", "United States", 18, 0, _ranges(
        "United States",
        local=[("1212", 7, "New York, NY"), ("1415", 7, "San Francisco, CA"),
               ("1312", 7, "Chicago, IL"), ("1512", 7, "Austin, TX"), ("1206", 7, "Seattle, WA"),
               ("1617", 7, "Boston, MA")],
        toll_free=[("1800", 7, None), ("1833", 7, None), ("1844", 7, None), ("1855", 7, None),
                   ("1877", 7, None), ("1888", 7, None)])),
    Country("CA", "Canada", 5, 0, _ranges(
        "Canada",
        local=[("1416", 7, "Toronto, ON"), ("1514", 7, "Montréal, QC"),
               ("1604", 7, "Vancouver, BC"), ("1613", 7, "Ottawa, ON")],
        toll_free=[("1866", 7, None)])),
    Country("GB", "United Kingdom", 10, 1, _ranges(
        "United Kingdom",
        local=[("4420", 8, "London"), ("44161", 7, "Manchester"), ("44131", 7, "Edinburgh"),
               ("44121", 7, "Birmingham")],
        mobile=[("447", 9, None)], national=[("443", 9, None)], toll_free=[("44800", 7, None)]),
        Registration("Companies House number", "01234567", r"^(?:\d{8}|(?:SC|NI|OC)\d{6})$", 8, 8),
        "10 Downing Street, London SW1A 2AA"),
    Country("DE", "Germany", 9, 2, _ranges(
        "Germany",
        local=[("4930", 8, "Berlin"), ("4989", 8, "München"), ("4940", 8, "Hamburg"),
               ("4969", 8, "Frankfurt am Main"), ("49221", 7, "Köln")],
        mobile=[("49151", 8, None), ("49170", 8, None), ("49176", 8, None)],
        national=[("4932", 9, None)], toll_free=[("49800", 7, None)]),
        Registration("Handelsregisternummer", "HRB 123456", r"^HR[AB] \d{1,6}$", 5, 10),
        "Friedrichstraße 68, 10117 Berlin"),
    Country("FR", "France", 7, 2, _ranges(
        "France",
        local=[("331", 8, "Paris"), ("3347", 7, "Lyon"), ("3349", 7, "Marseille"),
               ("33556", 6, "Bordeaux")],
        mobile=[("336", 8, None), ("337", 8, None)], national=[("339", 8, None)],
        toll_free=[("33805", 6, None)]),
        Registration("numéro SIREN", "732829320", r"^\d{9}$", 9, 9),
        "12 rue de la Paix, 75002 Paris"),
    Country("NL", "Netherlands", 6, 2, _ranges(
        "Netherlands",
        local=[("3120", 7, "Amsterdam"), ("3110", 7, "Rotterdam"), ("3170", 7, "Den Haag"),
               ("3130", 7, "Utrecht")],
        mobile=[("316", 8, None)], national=[("3185", 7, None)], toll_free=[("31800", 7, None)]),
        Registration("KvK-nummer", "34123456", r"^\d{8}$", 8, 8),
        "Herengracht 182, 1016 BR Amsterdam"),
    Country("CH", "Switzerland", 5, 2, _ranges(
        "Switzerland",
        local=[("4121", 7, "Lausanne"), ("4122", 7, "Genève"), ("4144", 7, "Zürich"),
               ("4131", 7, "Bern"), ("4161", 7, "Basel")],
        mobile=[("4176", 7, None), ("4178", 7, None), ("4179", 7, None)],
        national=[("4158", 7, None)], toll_free=[("41800", 6, None)]),
        Registration("UID", "CHE-123.456.789", r"^CHE-\d{3}\.\d{3}\.\d{3}$", 15, 15),
        "Rue de Bourg 12, 1003 Lausanne"),
    Country("AU", "Australia", 5, 1, _ranges(
        "Australia",
        local=[("612", 8, "Sydney"), ("613", 8, "Melbourne"), ("617", 8, "Brisbane"),
               ("618", 8, "Perth")],
        mobile=[("614", 8, None)], national=[("611300", 6, None)],
        toll_free=[("611800", 6, None)]),
        Registration("Australian Business Number (ABN)", "51 824 753 556",
                     r"^\d{2} ?\d{3} ?\d{3} ?\d{3}$", 11, 14),
        "1 Martin Place, Sydney NSW 2000"),
    Country("ES", "Spain", 4, 2, _ranges(
        "Spain",
        local=[("3491", 7, "Madrid"), ("3493", 7, "Barcelona"), ("3496", 7, "Valencia")],
        mobile=[("346", 8, None)], national=[("34902", 6, None)], toll_free=[("34900", 6, None)]),
        Registration("NIF", "B12345678", r"^[A-HJNPQRSUVW]\d{7}[0-9A-J]$", 9, 9),
        "Calle de Alcalá 45, 28014 Madrid"),
    Country("IT", "Italy", 4, 2, _ranges(
        "Italy",
        local=[("3902", 8, "Milano"), ("3906", 8, "Roma"), ("39011", 7, "Torino")],
        mobile=[("393", 9, None)], toll_free=[("39800", 6, None)]),
        Registration("Partita IVA", "12345678901", r"^\d{11}$", 11, 11),
        "Via Montenapoleone 8, 20121 Milano"),
    Country("SE", "Sweden", 3, 2, _ranges(
        "Sweden",
        local=[("468", 8, "Stockholm"), ("4631", 7, "Göteborg"), ("4640", 7, "Malmö")],
        mobile=[("467", 8, None)], toll_free=[("4620", 7, None)]),
        Registration("organisationsnummer", "556036-0793", r"^\d{6}-\d{4}$", 11, 11),
        "Drottninggatan 33, 111 51 Stockholm"),
    Country("BE", "Belgium", 3, 2, _ranges(
        "Belgium",
        local=[("322", 7, "Bruxelles"), ("323", 7, "Antwerpen"), ("329", 7, "Gent")],
        mobile=[("3247", 7, None)], toll_free=[("32800", 5, None)]),
        Registration("enterprise number (KBO/BCE)", "0403.170.701", r"^\d{4}\.\d{3}\.\d{3}$",
                     12, 12),
        "Rue de la Loi 16, 1000 Bruxelles"),
    Country("AT", "Austria", 3, 2, _ranges(
        "Austria",
        local=[("431", 7, "Wien"), ("43316", 6, "Graz"), ("43662", 6, "Salzburg")],
        mobile=[("43664", 7, None)], toll_free=[("43800", 6, None)]),
        Registration("Firmenbuchnummer", "FN 123456a", r"^FN \d{1,6}[a-z]$", 5, 10),
        "Kärntner Straße 21, 1010 Wien"),
    Country("IE", "Ireland", 3, 2, _ranges(
        "Ireland",
        local=[("3531", 7, "Dublin"), ("35321", 6, "Cork"), ("35391", 6, "Galway")],
        mobile=[("35387", 7, None)], toll_free=[("3531800", 6, None)]),
        Registration("CRO number", "123456", r"^\d{4,6}$", 4, 6),
        "1 Grand Canal Square, Dublin 2, D02 P820"),
    Country("JP", "Japan", 3, 2, _ranges(
        "Japan",
        local=[("813", 8, "Tokyo"), ("816", 8, "Osaka"), ("8152", 7, "Nagoya")],
        mobile=[("8190", 8, None), ("8180", 8, None)], national=[("8150", 8, None)],
        toll_free=[("81120", 6, None)]),
        Registration("corporate number (hōjin bangō)", "1234567890123", r"^\d{13}$", 13, 13),
        "1-1-2 Otemachi, Chiyoda-ku, Tokyo 100-0004"),
    Country("BR", "Brazil", 3, 2, _ranges(
        "Brazil",
        local=[("5511", 8, "São Paulo"), ("5521", 8, "Rio de Janeiro"),
               ("5531", 8, "Belo Horizonte")],
        mobile=[("55119", 8, "São Paulo")], toll_free=[("55800", 7, None)]),
        Registration("CNPJ", "12.345.678/0001-95", r"^\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}$", 18, 18),
        "Avenida Paulista 1578, São Paulo, SP 01310-200"),
    Country("PL", "Poland", 2, 2, _ranges(
        "Poland",
        local=[("4822", 7, "Warszawa"), ("4812", 7, "Kraków")],
        mobile=[("485", 8, None)], toll_free=[("48800", 6, None)]),
        Registration("KRS number", "0000123456", r"^\d{10}$", 10, 10),
        "ul. Marszałkowska 126, 00-008 Warszawa"),
    Country("DK", "Denmark", 2, 2, _ranges(
        "Denmark",
        local=[("453", 7, "København")], mobile=[("452", 7, None)],
        toll_free=[("4580", 6, None)]),
        Registration("CVR number", "12345678", r"^\d{8}$", 8, 8),
        "Strøget 18, 1160 København K"),
    Country("NO", "Norway", 2, 2, _ranges(
        "Norway",
        local=[("4722", 6, "Oslo")], mobile=[("474", 7, None)], toll_free=[("47800", 5, None)]),
        Registration("organisasjonsnummer", "923 609 016", r"^\d{3} ?\d{3} ?\d{3}$", 9, 11),
        "Karl Johans gate 22, 0159 Oslo"),
    Country("FI", "Finland", 2, 2, _ranges(
        "Finland",
        local=[("3589", 7, "Helsinki")], mobile=[("35840", 7, None)],
        toll_free=[("358800", 6, None)]),
        Registration("Business ID (Y-tunnus)", "1234567-8", r"^\d{7}-\d$", 9, 9),
        "Mannerheimintie 14, 00100 Helsinki"),
    Country("PT", "Portugal", 2, 2, _ranges(
        "Portugal",
        local=[("35121", 7, "Lisboa"), ("35122", 7, "Porto")],
        mobile=[("35191", 7, None)], toll_free=[("351800", 6, None)]),
        Registration("NIPC", "501234567", r"^\d{9}$", 9, 9),
        "Avenida da Liberdade 110, 1269-046 Lisboa"),
    Country("MX", "Mexico", 2, 1, _ranges(
        "Mexico",
        local=[("5255", 8, "Ciudad de México"), ("5233", 8, "Guadalajara"),
               ("5281", 8, "Monterrey")],
        toll_free=[("52800", 7, None)]),
        Registration("RFC", "ABC680524P76", r"^[A-Z&]{3,4}\d{6}[A-Z0-9]{3}$", 12, 13),
        "Paseo de la Reforma 250, 06600 Ciudad de México"),
    Country("NZ", "New Zealand", 1, 1, _ranges(
        "New Zealand",
        local=[("649", 7, "Auckland"), ("644", 7, "Wellington")],
        mobile=[("6421", 7, None)], toll_free=[("64800", 6, None)]),
        Registration("NZBN", "9429041234567", r"^\d{13}$", 13, 13),
        "151 Queen Street, Auckland 1010"),
    Country("SG", "Singapore", 1, 1, _ranges(
        "Singapore",
        local=[("656", 7, None)], mobile=[("658", 7, None)], toll_free=[("651800", 7, None)]),
        Registration("UEN", "201912345K", r"^\d{9}[A-Z]$", 10, 10),
        "10 Marina Boulevard, Singapore 018983"),
]}
# fmt: on


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


_ACCEPTED_LOCALLY = "Identical locality as the numbers desired"
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
            {"locality_limit": _ACCEPTED_LOCALLY},
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
             "locality_limit": _ACCEPTED_LOCALLY},
        ),
    ]
}  # fmt: skip

_KINDS_BY_TYPE = {
    "local": ("customer_type", "business_registration", "address_local", "address_proof"),
    "mobile": ("customer_type", "contact_name", "address_country", "identity_document"),
    "national": ("business_registration", "incorporation_date", "address_country"),
    "toll_free": ("business_registration", "incorporation_date", "identity_document"),
}


def _kinds(country: Country, number_type: str) -> list[Kind]:
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
            _definition(country, number_type, kind) for kind in _kinds(country, number_type)
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
    else:
        try:
            valid = str(uuid.UUID(value)) == value.lower()
        except ValueError:
            valid = False
        if not valid:
            return f"Must be the id (a UUID) of an existing {field_type} record."
    return None


def iso(moment: datetime) -> str:
    """Telnyx's timestamp format: '2026-11-16T09:00:00.000000Z'."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- the rules that tie statuses together ------------------------------------------------------


def rollup_number(number: dict) -> None:
    """requirements_met / requirements_status from the number's requirement values."""
    statuses = [item["status"] for item in number["regulatory_requirements"]]
    number["requirements_met"] = all(status == "approved" for status in statuses)
    if number["requirements_status"] == "cancelled":
        return
    if "declined" in statuses:
        number["requirements_status"] = "requirement-info-exception"
    elif "" in statuses:
        number["requirements_status"] = "requirement-info-pending"
    elif "pending-approval" in statuses:
        number["requirements_status"] = "requirement-info-under-review"
    else:
        number["requirements_status"] = "approved"


def rollup_sub_order(sub_order: dict, numbers: list[dict]) -> None:
    sub_order["requirements_met"] = all(number["requirements_met"] for number in numbers)


def rollup_order(order: dict, sub_orders: list[dict]) -> None:
    """Pending while any sub order is; failed when every one failed; else a success."""
    order["requirements_met"] = all(number["requirements_met"] for number in order["phone_numbers"])
    statuses = {sub_order["status"] for sub_order in sub_orders}
    if "pending" in statuses:
        order["status"] = "pending"
    elif statuses == {"failure"}:
        order["status"] = "failure"
    else:
        order["status"] = "success"


# -- generation --------------------------------------------------------------------------------

_COMPANIES = [
    "ACME", "Northwind", "Globex", "Initech", "Contoso", "Fabrikam", "Umbrella", "Hooli",
    "Vandelay", "Wonka", "Tyrell", "Soylent", "Stark", "Wayne", "Cyberdyne", "Oceanic",
]  # fmt: skip
_REGIONS = ["emea", "amer", "apac", "dach", "nordics", "benelux"]
_FIRST_NAMES = [
    "Maria", "Jonas", "Aiko", "Lucas", "Sofia", "Liam", "Emma", "Mateo", "Chloé", "Lars",
    "Giulia", "Noah", "Hannah", "Oliver", "Ines", "Pedro", "Freya", "Sanne", "Kenji", "Zoe",
]  # fmt: skip
_LAST_NAMES = [
    "Rossi", "Müller", "Tanaka", "Silva", "García", "Smith", "Dubois", "Jansen", "Nielsen",
    "Murphy", "Kowalski", "Andersson", "Costa", "Bianchi", "Schmid", "Peeters", "Virtanen",
]  # fmt: skip


@dataclass
class World:
    orders: dict[str, dict] = field(default_factory=dict)
    sub_orders: dict[str, dict] = field(default_factory=dict)
    catalogue: dict[tuple[str, str], list[dict]] = field(default_factory=dict)


class _Generator:
    def __init__(self, seed: int, base_date: datetime):
        self.rng = random.Random(seed)
        self.base = base_date
        self.catalogue = build_catalogue()
        self.used_numbers: set[str] = set()
        self.account_user = self.uuid()
        self.connections = [str(self.rng.randrange(10**18, 10**19)) for _ in range(3)]
        self.messaging_profiles = [self.uuid() for _ in range(2)]
        self.billing_groups = [self.uuid(), self.uuid(), ""]

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def moment(self, earliest: timedelta, latest: timedelta) -> datetime:
        """A random moment between `latest` and `earliest` before the base date."""
        span = int((earliest - latest).total_seconds() * 1_000_000)
        return self.base - latest - timedelta(microseconds=self.rng.randrange(span))

    def statuses(self, count: int) -> list[str]:
        # Quotas rather than independent draws so that even a small world shows every status.
        failures = round(count * 0.12) or (1 if count >= 3 else 0)
        pendings = round(count * 0.3) or (1 if count >= 2 else 0)
        statuses = ["failure"] * failures + ["pending"] * pendings
        statuses += ["success"] * (count - len(statuses))
        self.rng.shuffle(statuses)
        return statuses

    def number_count(self) -> int:
        roll = self.rng.random()
        if roll < 0.02:
            return self.rng.randint(200, 600)
        if roll < 0.55:
            return self.rng.randint(1, 5)
        if roll < 0.85:
            return self.rng.randint(6, 20)
        return self.rng.randint(21, 50)

    def reference(self, created: datetime, country: str) -> str:
        company = self.rng.choice(_COMPANIES)
        pattern = self.rng.choices(range(5), weights=[4, 3, 2, 1, 1.3])[0]
        if pattern == 0:
            return f"{company.upper()}-{created.year}-{self.rng.randrange(1, 500):04d}"
        if pattern == 1:
            region = self.rng.choice(_REGIONS)
            return f"{company.lower()}/{region}/{self.rng.randrange(1, 60)}"
        if pattern == 2:
            return f"PO-{self.rng.randrange(100000, 999999)}"
        if pattern == 3:
            return f"{company} {country} rollout"
        return ""

    def groups(self, count: int) -> list[tuple[str, str]]:
        """Distinct (country, number type) pairs the order's numbers fall into."""
        wanted = min(count, self.rng.choices([1, 2, 3], weights=[60, 28, 12])[0])
        codes = list(COUNTRIES)
        weights = [COUNTRIES[code].weight for code in codes]
        groups: list[tuple[str, str]] = []
        home = self.rng.choices(codes, weights=weights)[0]
        while len(groups) < wanted:
            code = home if not groups or self.rng.random() < 0.3 else None
            code = code or self.rng.choices(codes, weights=weights)[0]
            types = list(COUNTRIES[code].ranges)
            number_type = self.rng.choices(types, weights=[_TYPE_WEIGHTS[t] for t in types])[0]
            if (code, number_type) not in groups:
                groups.append((code, number_type))
        return groups

    def phone_number(self, found: Range) -> str:
        while True:
            first = str(self.rng.randint(2, 9))
            rest = "".join(str(self.rng.randrange(10)) for _ in range(found.digits - 1))
            number = f"+{found.prefix}{first}{rest}"
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    def value(self, definition: dict, kind: str) -> str:
        if definition["field_type"] in ("address", "document"):
            return self.uuid()
        if kind == "customer_type":
            return self.rng.choices(["business", "individual"], weights=[5, 1])[0]
        if kind == "contact_name":
            return f"{self.rng.choice(_FIRST_NAMES)} {self.rng.choice(_LAST_NAMES)}"
        if kind == "incorporation_date":
            day = date(1985, 1, 1) + timedelta(days=self.rng.randrange(14000))
            return day.isoformat()
        # A registration number: the country's example with fresh digits keeps its format.
        return re.sub(r"\d", lambda _: str(self.rng.randrange(10)), definition["example"])

    def requirement_status(self, sub_status: str) -> str:
        if sub_status == "success":
            return "approved"
        if sub_status == "failure":
            return self.rng.choices(["approved", "", "declined"], weights=[4, 3, 3])[0]
        return self.rng.choices(
            ["approved", "pending-approval", "", "declined"], weights=[3, 3, 3, 1]
        )[0]

    def order(self, status: str, world: World) -> dict:
        count = self.number_count()
        if status == "pending":
            created = self.moment(timedelta(days=4), timedelta(minutes=5))
            updated = min(created + timedelta(minutes=self.rng.randrange(0, 180)), self.base)
        else:
            created = self.moment(timedelta(days=HISTORY_DAYS), timedelta(days=2))
            after = DEADLINE if status == "failure" else timedelta(hours=self.rng.uniform(0.2, 36))
            updated = created + after
        groups = self.groups(count)
        sizes = [1] * len(groups)
        for _ in range(count - len(groups)):
            sizes[
                self.rng.choices(range(len(groups)), weights=[3] + [1] * (len(groups) - 1))[0]
            ] += 1
        order_id = self.uuid()
        order = {
            "id": order_id,
            "record_type": "number_order",
            "status": status,
            "customer_reference": self.reference(created, groups[0][0]),
            "phone_numbers_count": count,
            "requirements_met": False,
            "connection_id": self.rng.choice(self.connections),
            "messaging_profile_id": self.rng.choice(self.messaging_profiles),
            "billing_group_id": self.rng.choice(self.billing_groups),
            "sub_number_orders_ids": [],
            "created_at": iso(created),
            "updated_at": iso(updated),
            "phone_numbers": [],
        }
        sub_orders = []
        for position, ((code, number_type), size) in enumerate(zip(groups, sizes, strict=True)):
            sub_status = status
            if status == "pending" and position and self.rng.random() < 0.3:
                sub_status = "success"
            sub_orders.append(
                self.sub_order(order, code, number_type, size, sub_status, created, updated)
            )
        for sub_order in sub_orders:
            world.sub_orders[sub_order["id"]] = sub_order
        rollup_order(order, sub_orders)
        return order

    def sub_order(self, order, code, number_type, size, status, created, updated) -> dict:
        definitions = self.catalogue[code, number_type]
        sub_order = {
            "id": self.uuid(),
            "record_type": "sub_number_order",
            "order_request_id": order["id"],
            "country_code": code,
            "phone_number_type": number_type,
            "phone_numbers_count": size,
            "status": status,
            "requirements_met": False,
            "customer_reference": order["customer_reference"],
            "is_block_sub_number_order": False,
            "regulatory_requirements": [
                {
                    "requirement_id": definition["id"],
                    "field_type": definition["field_type"],
                    "record_type": "phone_number_regulatory_requirement",
                }
                for definition in definitions
            ],
            "user_id": self.account_user,
            "created_at": iso(created),
            "updated_at": iso(updated),
        }
        order["sub_number_orders_ids"].append(sub_order["id"])
        # One end user per sub order: the same value and verdict for all of its numbers.
        kinds = _kinds(COUNTRIES[code], number_type)
        answers = []
        for definition, kind in zip(definitions, kinds, strict=True):
            verdict = self.requirement_status(status)
            value = "" if verdict == "" else self.value(definition, kind.key)
            answers.append((definition, value, verdict))
        found = self.rng.choice(COUNTRIES[code].ranges[number_type])
        numbers = sorted(self.phone_number(found) for _ in range(size))
        entries = []
        for phone_number in numbers:
            entry = {
                "id": self.uuid(),
                "record_type": "number_order_phone_number",
                "phone_number": phone_number,
                "country_code": code,
                "phone_number_type": number_type,
                "locality": found.locality,
                "order_request_id": order["id"],
                "sub_number_order_id": sub_order["id"],
                "status": status,
                "requirements_met": False,
                "requirements_status": "",
                "deadline": iso(created + DEADLINE),
                "is_block_number": False,
                "regulatory_requirements": [
                    {
                        "requirement_id": definition["id"],
                        "field_type": definition["field_type"],
                        "field_value": value,
                        "record_type": "phone_number_regulatory_requirement",
                        "status": verdict,
                    }
                    for definition, value, verdict in answers
                ],
            }
            rollup_number(entry)
            entries.append(entry)
        order["phone_numbers"].extend(entries)
        rollup_sub_order(sub_order, entries)
        return sub_order


def generate(*, orders: int, seed: int, base_date: datetime = BASE_DATE) -> World:
    """`orders` number orders with their sub orders, newest first, all derived from `seed`."""
    generator = _Generator(seed, base_date)
    world = World(catalogue=generator.catalogue)
    made = [generator.order(status, world) for status in generator.statuses(orders)]
    made.sort(key=lambda order: (order["created_at"], order["id"]), reverse=True)
    # Insertion order is Telnyx's list order (newest first), for sub orders too.
    world.orders = {order["id"]: order for order in made}
    world.sub_orders = {
        sub_id: world.sub_orders[sub_id]
        for order in made
        for sub_id in order["sub_number_orders_ids"]
    }
    return world
