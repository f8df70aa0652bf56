"""Deterministic, realistic Telnyx number-order data for the sandbox.

Everything is drawn from one `random.Random(seed)` and dated back from a fixed base date, so a seed
always yields byte-identical orders. The dicts are shaped exactly as Telnyx's JSON: an order holds
its full phone numbers (as `GET /number_orders/{id}` answers), sub orders are kept apart (as
`GET /sub_number_orders/{id}` answers).

The rules that tie statuses together (`rollup_number`, `rollup_sub_order`, `rollup_order`) live
here too, because the server's writes must keep the data as consistent as generation made it.
"""

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sandbox import paperwork
from sandbox.catalogue import (
    build_catalogue,
    kinds_for,
    sample_incorporation_date,
    sample_registration,
)
from sandbox.clock import iso
from sandbox.countries import COUNTRIES, Range
from sandbox.paperwork import Paperwork
from sandbox.places import COMPANIES

BASE_DATE = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
HISTORY_DAYS = 120
DEADLINE = timedelta(days=2)
_TYPE_WEIGHTS = {"local": 6, "mobile": 2, "national": 1, "toll_free": 2}


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
    paperwork: Paperwork = field(default_factory=Paperwork)


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
        company = self.rng.choice(COMPANIES)
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
            # A stand-in that `sandbox.paperwork` replaces with a real id; drawn all the same, so
            # that every order after it stays as it was before there was paperwork.
            return self.uuid()
        if kind == "customer_type":
            return self.rng.choices(["business", "individual"], weights=[5, 1])[0]
        if kind == "contact_name":
            return f"{self.rng.choice(_FIRST_NAMES)} {self.rng.choice(_LAST_NAMES)}"
        if kind == "incorporation_date":
            return sample_incorporation_date(self.rng)
        return sample_registration(definition, self.rng)

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
        kinds = kinds_for(COUNTRIES[code], number_type)
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
    """`orders` number orders with their sub orders, newest first, all derived from `seed`, and
    the paperwork (addresses, documents, requirement groups, comments) their values refer to."""
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
    world.paperwork = paperwork.write(
        orders=world.orders,
        sub_orders=world.sub_orders,
        catalogue=world.catalogue,
        seed=seed,
        base_date=base_date,
    )
    return world
