"""Fills the bench database with a large, realistic order cache, fast.

Rows are generated in Python from a seeded RNG and written raw by bench/writers.py: one
`executemany` per table and chunk on SQLite (the FTS5 trigram triggers of migration 0002 keep the
search table exact), `COPY` on PostgreSQL. The ORM's `bulk_create` would spend most of the time
building model instances that are thrown away.

A `bench_build` marker table records what was built, so a second run with the same sizes reuses
the data instead of rebuilding it.
"""

import json
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from bench.writers import PostgresWriter, SqliteWriter
from orders.models import (
    Order,
    PhoneNumber,
    RequirementDefinition,
    RequirementValue,
    SubOrder,
)

# Bump when the generated data changes shape, so stale bench databases are rebuilt.
LAYOUT = 2
MARKER = "bench_build"

# (country, calling code, national number length, weight)
COUNTRIES = [
    ("US", "1", 10, 30),
    ("GB", "44", 10, 15),
    ("DE", "49", 10, 12),
    ("CH", "41", 9, 8),
    ("FR", "33", 9, 8),
    ("NL", "31", 9, 6),
    ("ES", "34", 9, 5),
    ("AU", "61", 9, 4),
    ("IT", "39", 10, 4),
    ("CA", "1", 10, 3),
    ("SE", "46", 9, 3),
    ("BE", "32", 9, 2),
]
NUMBER_TYPES = [("local", 60), ("mobile", 20), ("national", 10), ("toll_free", 10)]
REQUIREMENTS = [
    ("Business registration number", "textual"),
    ("Company name", "textual"),
    ("Contact person", "textual"),
    ("Address of the end user", "address"),
    ("Proof of address", "document"),
    ("Identity document", "document"),
    ("Date of incorporation", "datetime"),
    ("Local representative", "textual"),
]
CUSTOMERS = [
    "ACME", "GLOBEX", "INITECH", "UMBRELLA", "HOOLI", "STARK", "WAYNE", "WONKA", "TYRELL",
    "CYBERDYNE", "SOYLENT", "VANDELAY", "MONARCH", "OSCORP", "PIEDPIPER", "DUNDER", "NAKATOMI",
    "GRINGOTTS", "AVIATO", "MASSIVE", "ZORG", "BLUTH", "KRUSTY", "LACUNA", "GEKKO", "NORTHWIND",
    "CONTOSO", "FABRIKAM", "TAILSPIN", "LITWARE", "ADVENTURE", "PROSEWARE", "WINGTIP", "TREY",
    "ALPINE", "BLUEYONDER", "COHO", "FOURTH", "HUMONGOUS", "LUCERNE",
]  # fmt: skip


@dataclass(frozen=True)
class Sizes:
    orders: int
    numbers: int
    big_order_numbers: int = 500
    seed: int = 7

    def __post_init__(self):
        if self.orders < 2 or self.numbers < self.orders - 1 + self.big_order_numbers:
            raise ValueError(
                "need at least 2 orders and enough numbers for one per order plus the big order"
            )


@dataclass
class Built:
    sizes: Sizes
    orders: int
    sub_orders: int
    numbers: int
    values: int
    seconds: float
    reused: bool
    big_order_id: str


class Stale(Exception):
    """The bench database holds data built with other sizes or by an older builder."""


def ensure(sizes: Sizes, *, log: Callable[[str], None] = print) -> Built:
    """Builds the data set unless the marker says it is already there with these sizes.

    Raises Stale when the database holds other bench data (the caller recreates it), and
    RuntimeError when it holds data the bench did not build, which it never deletes.
    """
    found = _read_marker()
    if found and found.get("sizes") == asdict(sizes) and found.get("layout") == LAYOUT:
        log(f"reusing the data built {found['built_at']} ({found['orders']:,} orders)")
        return Built(**{**found["built"], "sizes": sizes, "reused": True})
    if found:
        raise Stale(f"built {found['built_at']} with {found['sizes']}, layout {found['layout']}")
    if Order.objects.exists():
        raise RuntimeError("the bench database holds orders the bench did not build")
    built = build(sizes, log=log)
    _write_marker(sizes, built)
    return built


def build(sizes: Sizes, *, log: Callable[[str], None] = print) -> Built:
    started = time.perf_counter()
    writer = SqliteWriter() if connection.vendor == "sqlite" else PostgresWriter()
    data = _Generator(sizes, stamp=writer.stamp, ident=writer.ident)
    counts = {"orders": 0, "sub_orders": 0, "numbers": 0, "values": 0}
    writer.prepare()
    with transaction.atomic():
        writer.write(RequirementDefinition, data.definitions())
        for chunk in data.chunks(orders_per_chunk=10_000):
            writer.write(Order, chunk.orders)
            writer.write(SubOrder, chunk.sub_orders)
            writer.write(PhoneNumber, chunk.numbers)
            writer.write(RequirementValue, chunk.values)
            counts["orders"] += len(chunk.orders)
            counts["sub_orders"] += len(chunk.sub_orders)
            counts["numbers"] += len(chunk.numbers)
            counts["values"] += len(chunk.values)
            log(
                f"  built {counts['orders']:,} orders, {counts['numbers']:,} numbers, "
                f"{counts['values']:,} values ({time.perf_counter() - started:.0f} s)"
            )
        writer.finish()
    writer.settle()
    return Built(
        sizes=sizes,
        **counts,
        seconds=round(time.perf_counter() - started, 1),
        reused=False,
        big_order_id=str(data.big_order_id),
    )


class _Chunk:
    def __init__(self):
        self.orders: list[tuple] = []
        self.sub_orders: list[tuple] = []
        self.numbers: list[tuple] = []
        self.values: list[tuple] = []


class _Generator:
    """Deterministic rows, as tuples of writers.FIELDS[model]."""

    def __init__(self, sizes: Sizes, *, stamp: Callable[[datetime], object], ident: Callable):
        self.sizes = sizes
        self.stamp = stamp
        self.ident = ident
        self.rng = random.Random(sizes.seed)
        self.now = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
        self.requirements = [(self._uuid(), field_type) for _, field_type in REQUIREMENTS]
        self.number_counts = self._number_counts()
        self.big_order_id: uuid.UUID | None = None
        # Keyed by calling code: the US and Canada share +1.
        self.serials = {code: 0 for _, code, *_ in COUNTRIES}

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _id(self):
        return self.ident(self._uuid())

    def _number_counts(self) -> list[int]:
        """Numbers per order: mostly one to three, a heavy tail, and one order of exactly N."""
        sizes, rng = self.sizes, self.rng
        others = sizes.orders - 1
        extra = sizes.numbers - sizes.big_order_numbers - others
        weights = [rng.paretovariate(1.5) - 1 for _ in range(others)]
        total = sum(weights) or 1.0
        cap = max(min(sizes.big_order_numbers - 1, 250), 1)
        counts = [min(1 + int(extra * w / total), cap) for w in weights]
        # Hand the rounding remainder out one by one to orders below the cap.
        missing = sizes.numbers - sizes.big_order_numbers - sum(counts)
        while missing > 0:
            i = rng.randrange(others)
            if counts[i] < cap:
                counts[i] += 1
                missing -= 1
        counts.insert(others // 2, sizes.big_order_numbers)
        return counts

    def definitions(self) -> list[tuple]:
        now = self.stamp(self.now)
        rows = []
        for (requirement_id, field_type), (label, _) in zip(
            self.requirements, REQUIREMENTS, strict=True
        ):
            rows.append(
                (
                    self.ident(requirement_id),
                    label,
                    f"{label} of the number's end user, as the regulator requires it",
                    "CHE-123.456.789" if field_type == "textual" else "",
                    field_type,
                    json.dumps({"min_length": 2, "max_length": 200}),
                    now,
                    now,
                )
            )
        return rows

    def chunks(self, *, orders_per_chunk: int) -> Iterable[_Chunk]:
        chunk = _Chunk()
        number_id = 0
        for index, count in enumerate(self.number_counts):
            number_id = self._order(chunk, index, count, number_id)
            if len(chunk.orders) == orders_per_chunk:
                yield chunk
                chunk = _Chunk()
        if chunk.orders:
            yield chunk

    def _order(self, chunk: _Chunk, index: int, count: int, number_id: int) -> int:
        rng, stamp = self.rng, self.stamp
        order_uuid = self._uuid()
        if count == self.sizes.big_order_numbers and self.big_order_id is None:
            self.big_order_id = order_uuid
        order_id = self.ident(order_uuid)
        # More orders recently than two years ago; a few in the last days are still pending.
        age = timedelta(seconds=int(730 * 86400 * rng.random() ** 1.6))
        created = self.now - age
        if age < timedelta(days=3):
            status = rng.choices(["pending", "success", "failure"], [70, 25, 5])[0]
        else:
            status = rng.choices(["pending", "success", "failure"], [3, 88, 9])[0]
        updated = created + timedelta(seconds=rng.randrange(60, 4 * 86400))
        synced = stamp(self.now)
        groups = self._groups(count)
        awaiting = 0
        all_met = True
        deadline = None
        for (country, code, length), number_type, size in groups:
            sub_id = self._id()
            sub_met = True
            for _ in range(size):
                number_id += 1
                met = status == "success" or rng.random() < (0.5 if status == "failure" else 0.2)
                sub_met = sub_met and met
                all_met = all_met and met
                number_deadline = None if met else created + timedelta(days=2)
                # Only a pending order's numbers can still be fixed (telnyx_data.order_rows).
                if number_deadline is not None and status == "pending":
                    awaiting += 1
                    deadline = min(deadline or number_deadline, number_deadline)
                e164 = self._e164(country, code, length)
                chunk.numbers.append(
                    (
                        number_id,
                        self._id(),
                        order_id,
                        sub_id,
                        e164,
                        e164[1:],
                        country,
                        number_type,
                        status,
                        met,
                        "approved"
                        if met
                        else rng.choice(
                            [
                                "requirement-info-pending",
                                "requirement-info-under-review",
                                "requirement-info-exception",
                            ]
                        ),
                        stamp(number_deadline) if number_deadline else None,
                        rng.choice(["Zurich", "London", "Berlin", "Paris", "", "Madrid"]),
                        "",
                        stamp(updated),
                        synced,
                    )
                )
                self._values(chunk, number_id, met, stamp(updated), synced)
            chunk.sub_orders.append(
                (
                    sub_id,
                    order_id,
                    country,
                    number_type,
                    status,
                    sub_met,
                    size,
                    size > 10 and rng.random() < 0.5,
                    stamp(created),
                    stamp(updated),
                    synced,
                )
            )
        chunk.orders.append(
            (
                order_id,
                status,
                self._reference(index),
                count,
                all_met,
                str(self._uuid()) if rng.random() < 0.3 else "",
                str(rng.randrange(10**15, 10**16)) if rng.random() < 0.6 else "",
                str(self._uuid()) if rng.random() < 0.2 else "",
                " ".join(sorted({country for (country, _, _), _, _ in groups})),
                awaiting,
                stamp(deadline) if deadline else None,
                stamp(created),
                stamp(updated),
                synced,
                synced if rng.random() < 0.002 else None,
                stamp(updated),
            )
        )
        return number_id

    def _groups(self, count: int) -> list[tuple[tuple[str, str, int], str, int]]:
        """Splits an order's numbers into sub orders by country and number type."""
        rng = self.rng
        kinds = 1 if count == 1 or rng.random() < 0.85 else min(count, rng.choice([2, 2, 3]))
        countries = [(c, code, length) for c, code, length, _ in COUNTRIES]
        weights = [w for *_, w in COUNTRIES]
        picked: dict[tuple, int] = {}
        while len(picked) < kinds:
            country = rng.choices(countries, weights)[0]
            number_type = rng.choices(*zip(*NUMBER_TYPES, strict=True))[0]
            picked.setdefault((country, number_type), 0)
        keys = list(picked)
        for i in range(count):
            picked[keys[i % kinds]] += 1
        return [(country, number_type, size) for (country, number_type), size in picked.items()]

    def _e164(self, country: str, code: str, length: int) -> str:
        """Unique per calling code: the serial scrambled by a multiplier coprime with 70."""
        self.serials[code] += 1
        span = 10 ** (length - 1)
        offset = int(code) * 1_000_003
        national = 2 * span + (self.serials[code] * 7_919_111 + offset) % (7 * span)
        return f"+{code}{national}"

    def _values(self, chunk: _Chunk, number_id: int, met: bool, updated, synced) -> None:
        rng = self.rng
        howmany = rng.choices([1, 2, 3], [30, 40, 30])[0]
        for requirement_id, field_type in rng.sample(self.requirements, howmany):
            if met:
                value, status = f"REG-{rng.randrange(10**6, 10**7)}", "approved"
            else:
                status = rng.choice(["", "", "pending-approval", "declined", "approved"])
                value = "" if status == "" else f"REG-{rng.randrange(10**6, 10**7)}"
            chunk.values.append(
                (number_id, self.ident(requirement_id), field_type, value, status, updated, synced)
            )

    def _reference(self, index: int) -> str:
        rng = self.rng
        customer = CUSTOMERS[index % len(CUSTOMERS)]
        kind = rng.random()
        if kind < 0.10:
            return ""
        if kind < 0.70:
            return f"{customer}-{2024 + index % 3}-{index:06d}"
        if kind < 0.85:
            return f"PO{index * 37 % 10**7:07d}"
        return f"{customer.lower()}/rollout-{index % 97}"


def _read_marker() -> dict | None:
    if MARKER not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT body FROM {MARKER}")
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def _write_marker(sizes: Sizes, built: Built) -> None:
    body = {
        "layout": LAYOUT,
        "sizes": asdict(sizes),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "orders": built.orders,
        "built": {k: v for k, v in asdict(built).items() if k not in {"sizes", "reused"}},
    }
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER} (body TEXT NOT NULL)")
        cursor.execute(f"DELETE FROM {MARKER}")
        cursor.execute(f"INSERT INTO {MARKER} (body) VALUES (%s)", [json.dumps(body)])
