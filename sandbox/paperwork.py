"""The generated world's paperwork: the addresses and documents its requirement values point at,
the requirement groups the customer keeps, and the reviewers' comments on what they declined.

Drawn from an rng of its own, so that the orders stay exactly what `sandbox.data` made them; the
address and document values the orders were generated with are replaced by real ids here.
"""

import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sandbox import files, records, verdicts
from sandbox.catalogue import kinds_for, sample_incorporation_date, sample_registration
from sandbox.clock import iso, parse_iso
from sandbox.countries import COUNTRIES
from sandbox.places import COMPANIES, PLACES, Locality, Place

# Requirement groups are mandatory in the first six since 2024-09; how many each country has.
GROUP_COUNTRIES = {"CH": 3, "DK": 3, "IT": 3, "NO": 3, "PT": 3, "SE": 3, "DE": 2, "FR": 1, "GB": 1}
GROUP_STATUSES = ("approved", "pending-approval", "declined")
ADDRESS_BOOK_EXTRAS = 2  # unreferenced addresses per country, to choose from


@dataclass
class Paperwork:
    addresses: dict[str, dict] = field(default_factory=dict)
    documents: dict[str, dict] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # document id -> content
    denials: dict[str, str] = field(default_factory=dict)  # document id -> why it was denied
    requirement_groups: dict[str, dict] = field(default_factory=dict)
    comments: dict[str, dict] = field(default_factory=dict)


@dataclass(frozen=True)
class _Party:
    """The end user a sub order's (or a group's) values describe."""

    first_name: str
    last_name: str
    business_name: str


@dataclass(frozen=True)
class _Context:
    """Whose values are being written, for numbers where, and when."""

    country: str
    locality: str  # the numbers' (a group's: the one its address must be in)
    party: _Party
    created: datetime
    reference: str  # the customer reference the records are filed under


class _Writer:
    def __init__(self, catalogue: dict, seed: int, base: datetime):
        self.rng = random.Random(f"sandbox-paperwork/{seed}")
        self.catalogue = catalogue
        self.base = base
        self.made = Paperwork()
        # (country, locality) -> the ids of addresses reviewers accepted there, to use again
        self.pool: dict[tuple[str, str], list[str]] = {}

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def before(self, moment: datetime, *, least: timedelta, most: timedelta) -> datetime:
        return moment - least - (most - least) * self.rng.random()

    def after(self, moment: datetime, *, least: timedelta, most: timedelta) -> datetime:
        """A moment after `moment`, but never past the base date."""
        later = moment + least + (most - least) * self.rng.random()
        return max(moment, min(later, self.base - timedelta(seconds=1)))

    def party(self, place: Place) -> _Party:
        first, last = self.rng.choice(place.first_names), self.rng.choice(place.last_names)
        form = self.rng.choice(place.company_forms)
        if self.rng.random() < 0.6:
            return _Party(first, last, f"{self.rng.choice(COMPANIES)} {place.own_name} {form}")
        return _Party(first, last, f"{self.rng.choice(place.last_names)} {form}")

    # -- addresses -------------------------------------------------------------------------------

    def address(
        self,
        country: str,
        locality: Locality,
        party: _Party,
        *,
        created: datetime,
        reference: str = "",
        postal_code: str = "",
    ) -> str:
        place = PLACES[country]
        while (address_id := str(self.rng.randrange(10**18, 2**63))) in self.made.addresses:
            pass
        street = self.rng.choice(locality.streets or place.streets)
        number = str(self.rng.randint(1, 120))
        if country == "JP":
            number = f"{self.rng.randint(1, 4)}-{self.rng.randint(1, 12)}-{number}"
        fields = {
            "customer_reference": reference,
            "first_name": party.first_name,
            "last_name": party.last_name,
            "business_name": party.business_name,
            "street_address": place.street_format.format(street=street, number=number),
            "locality": locality.name,
            "administrative_area": locality.administrative_area,
            "postal_code": postal_code or self.rng.choice(locality.postal_codes),
            "country_code": country,
        }
        self.made.addresses[address_id] = records.address(address_id, fields, created=iso(created))
        return address_id

    def address_value(self, context: _Context, kind: str, declined: bool) -> tuple[str, str]:
        """(address id, why reviewers declined it or "") for an address requirement."""
        country, party, reference = context.country, context.party, context.reference
        place = PLACES[country]
        home = place.locality(context.locality) or self.rng.choice(place.localities)
        others = [found for found in place.localities if found is not home]
        when = self.before(context.created, least=timedelta(days=1), most=timedelta(days=200))
        if declined and kind == "address_local" and others:
            away = self.rng.choice(others)
            address_id = self.address(country, away, party, created=when, reference=reference)
        elif declined:
            # A postal code from elsewhere, or (a country of one locality) one malformed.
            code = self.rng.choice(self.rng.choice(others).postal_codes) if others else "0000000"
            address_id = self.address(
                country, home, party, created=when, reference=reference, postal_code=code
            )
        else:
            pooled = self.pool.setdefault((country, home.name), [])
            if pooled and self.rng.random() < 0.4:
                return self.rng.choice(pooled), ""
            pooled.append(self.address(country, home, party, created=when, reference=reference))
            return pooled[-1], ""
        problem = verdicts.address_problem(
            self.made.addresses[address_id],
            local=kind == "address_local",
            country=country,
            locality=home.name,
        )
        return address_id, problem

    # -- documents -------------------------------------------------------------------------------

    def document(
        self, kind: str, status: str, party: _Party, *, created: datetime, reference: str
    ) -> str:
        document_id = self.uuid()
        slug = re.sub(r"[^a-z0-9]+", "-", f"{party.first_name} {party.last_name}".lower())
        if kind == "identity_document" and self.rng.random() < 0.4:
            filename, content = f"id-card-{slug}.png", files.png(96, 60, 190 + len(slug) % 40)
        else:
            title = (
                "Passport"
                if kind == "identity_document"
                else self.rng.choice(["Electricity bill", "Bank statement", "Lease agreement"])
            )
            filename = f"{title.lower().replace(' ', '-')}-{slug}.pdf"
            content = files.pdf(
                [
                    title,
                    f"{party.first_name} {party.last_name}",
                    party.business_name,
                    f"Issued {created:%Y-%m-%d}",
                ]
            )
        self.made.documents[document_id] = records.document(
            document_id,
            filename=filename,
            content=content,
            customer_reference=reference,
            status=status,
            av_scan_status="scanned",
            created=iso(created),
        )
        self.made.files[document_id] = content
        return document_id

    def document_value(self, context: _Context, kind: str, verdict: str) -> tuple[str, str]:
        """(document id, why reviewers denied it or "") for a document requirement."""
        status = {"approved": "verified", "declined": "denied"}.get(verdict, "pending")
        when = self.before(context.created, least=timedelta(minutes=1), most=timedelta(minutes=25))
        document_id = self.document(
            kind, status, context.party, created=when, reference=context.reference
        )
        if status != "denied":
            return document_id, ""
        reason = self.rng.choice(verdicts.DOCUMENT_DENIALS[kind])
        self.made.denials[document_id] = reason
        return document_id, reason

    # -- sub orders ------------------------------------------------------------------------------

    def sub_order(self, sub_order: dict, numbers: list[dict]) -> None:
        country = sub_order["country_code"]
        if not numbers or country not in PLACES:
            return
        definitions = self.catalogue[country, sub_order["phone_number_type"]]
        kinds = kinds_for(COUNTRIES[country], sub_order["phone_number_type"])
        created = parse_iso(sub_order["created_at"])
        context = _Context(
            country,
            numbers[0]["locality"],
            self.party(PLACES[country]),
            created,
            sub_order["customer_reference"],
        )
        declines = []
        for definition, kind in zip(definitions, kinds, strict=True):
            first = next(
                i
                for i in numbers[0]["regulatory_requirements"]
                if i["requirement_id"] == definition["id"]
            )
            value, verdict = first["field_value"], first["status"]
            if not value:
                continue
            reason = ""
            if definition["field_type"] == "address":
                value, reason = self.address_value(context, kind.key, verdict == "declined")
            elif definition["field_type"] == "document":
                value, reason = self.document_value(context, kind.key, verdict)
            elif verdict == "declined":
                reason = verdicts.text_problem(kind.key, value)
            for number in numbers:
                for item in number["regulatory_requirements"]:
                    if item["requirement_id"] == definition["id"]:
                        item["field_value"] = value
            if verdict == "declined":
                declines.append(verdicts.declined_comment(definition["label"], reason))
        if declines:
            deadline = parse_iso(numbers[0]["deadline"])
            self.thread(sub_order, [*declines, verdicts.deadline_comment(deadline)], created)

    def thread(self, sub_order: dict, bodies: list[str], created: datetime) -> None:
        """The reviewers' comments, a few hours after the order; read unless still pending."""
        when = self.after(created, least=timedelta(hours=2), most=timedelta(hours=30))
        for body in bodies:
            read_at = None
            if sub_order["status"] != "pending" or self.rng.random() < 0.35:
                read_at = iso(self.after(when, least=timedelta(minutes=5), most=timedelta(days=1)))
            comment_id = self.uuid()
            self.made.comments[comment_id] = records.comment(
                comment_id,
                record_type="sub_number_order",
                record_id=sub_order["id"],
                body=body,
                by_admin=True,
                created=iso(when),
                read_at=read_at,
            )
            when += timedelta(seconds=self.rng.randint(5, 90))

    # -- requirement groups and the address book ---------------------------------------------------

    def requirement_groups(self) -> None:
        for country, count in GROUP_COUNTRIES.items():
            place = PLACES[country]
            types = [t for t in ("local", "mobile", "local") if t in COUNTRIES[country].ranges]
            for number_type, status in list(zip(types, GROUP_STATUSES, strict=False))[:count]:
                self.requirement_group(country, number_type, status, place)

    def requirement_group(self, country: str, number_type: str, status: str, place: Place):
        party = self.party(place)
        created = self.before(self.base, least=timedelta(days=3), most=timedelta(days=300))
        locality = self.rng.choice(COUNTRIES[country].ranges[number_type]).locality
        locality = locality or self.rng.choice(place.localities).name
        context = _Context(country, locality, party, created, f"{party.business_name} – {locality}")
        stamp, expires = iso(created), iso(created + timedelta(days=365))
        definitions = self.catalogue[country, number_type]
        kinds = kinds_for(COUNTRIES[country], number_type)
        documents = [i for i, d in enumerate(definitions) if d["field_type"] == "document"]
        # A declined group: reviewers turned down its document (or else its last value).
        declined_at = (documents or [len(definitions) - 1])[0] if status == "declined" else None
        values, problem = [], ""
        for index, (definition, kind) in enumerate(zip(definitions, kinds, strict=True)):
            verdict = "approved"
            if index == declined_at:
                verdict = "declined"
            elif status == "pending-approval" and index in documents:
                verdict = "pending-approval"
            value, reason = self.group_value(context, definition, kind.key, verdict)
            if reason:
                problem = verdicts.declined_comment(definition["label"], reason)
            values.append(
                records.group_value(definition, value, verdict, created=stamp, expires=expires)
            )
        group_id = self.uuid()
        self.made.requirement_groups[group_id] = records.requirement_group(
            group_id,
            country=country,
            number_type=number_type,
            customer_reference=context.reference,
            status=status,
            values=values,
            created=stamp,
        )
        if problem:
            when = self.after(created, least=timedelta(hours=3), most=timedelta(days=2))
            comment_id = self.uuid()
            self.made.comments[comment_id] = records.comment(
                comment_id,
                record_type="requirement_group",
                record_id=group_id,
                body=problem,
                by_admin=True,
                created=iso(when),
                read_at=iso(when + timedelta(hours=4)),
            )

    def group_value(self, context: _Context, definition: dict, kind: str, verdict: str):
        """(value, why it was declined or "") for one of a requirement group's values."""
        if definition["field_type"] == "document":
            return self.document_value(context, kind, verdict)
        if definition["field_type"] == "address":
            return self.address_value(context, kind, verdict == "declined")
        if kind == "customer_type":
            value = "business"
        elif kind == "contact_name":
            value = f"{context.party.first_name} {context.party.last_name}"
        elif kind == "incorporation_date":
            value = sample_incorporation_date(self.rng)
        else:
            value = sample_registration(definition, self.rng)
        return value, verdicts.text_problem(kind, value) if verdict == "declined" else ""

    def address_book(self) -> None:
        for country, place in PLACES.items():
            for _ in range(ADDRESS_BOOK_EXTRAS):
                when = self.before(self.base, least=timedelta(days=1), most=timedelta(days=400))
                locality = self.rng.choice(place.localities)
                self.address(country, locality, self.party(place), created=when)


def write(
    *, orders: dict, sub_orders: dict, catalogue: dict, seed: int, base_date: datetime
) -> Paperwork:
    """The paperwork for these orders; their address and document values are set to its ids."""
    writer = _Writer(catalogue, seed, base_date)
    numbers: dict[str, list[dict]] = {}
    for order in orders.values():
        for number in order["phone_numbers"]:
            numbers.setdefault(number["sub_number_order_id"], []).append(number)
    for sub_order in sub_orders.values():
        writer.sub_order(sub_order, numbers.get(sub_order["id"], []))
    writer.requirement_groups()
    writer.address_book()
    return writer.made
