"""The queue's rows (models.queue) kept in step with the cache, so that the queue's pages and
totals read a page of rows rather than aggregate every value still to act on.

Nothing writes the rows but queue_rows_catch_up(), which the queue's reads call first: every
write to an order, its numbers or their values moves the order's changed_at (orders_store,
order_mark_gone), so the orders changed since the rows' mark are the ones to derive again, and
a view after a change costs what changed, not what the cache holds. One catch-up runs at a
time (the tally's row is locked), which is what lets it add to the totals rather than count
them. A writer stamps changed_at before its transaction commits: each catch-up looks again at
the orders changed within OVERLAP before its mark, passing over those it derived at the change
they still carry (QueueDerived), so a slow commit is not missed and a busy minute not redone.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import batched
from uuid import UUID

from django.db import transaction
from django.db.models import Exists, Max, OuterRef

from orders.models import (
    Order,
    QueueDeadlineHour,
    QueueDerived,
    QueueGroupRow,
    QueueSlice,
    QueueTally,
    QueueValue,
    ValueStatus,
)
from orders.selectors.freshness import change_token, orders_change_token
from orders.selectors.queue_scope import needs_action

OVERLAP = timedelta(seconds=60)
# The mark of rows caught up with no order at all.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A group without a deadline sorts after every one with.
LAST = datetime(9999, 12, 31, tzinfo=UTC)
# Ids per IN (...): under SQLite's and PostgreSQL's limits on a statement's parameters.
_CHUNK = 5000
_GROUP_KEY = ("customer_reference", "country", "number_type", "requirement_id")
# The tally's figures, and the slices' they add up.
_TALLIED = {"values": "value_count", "numbers": "number_count", "declined": "declined_count"}

type GroupKey = tuple[str, str, str, UUID]


def _derive(order_ids: Sequence[UUID] | None) -> tuple[list[QueueSlice], list[QueueValue]]:
    """The slices and values of these orders' values to act on (every order's for None),
    unsaved."""
    numbers: dict[int, tuple[tuple, list[tuple[UUID, str]]]] = {}
    rows = needs_action(order_ids=order_ids).values_list(
        "phone_number_id",
        "phone_number__order_id",
        "phone_number__order__customer_reference",
        "phone_number__country_code",
        "phone_number__phone_number_type",
        "phone_number__deadline",
        "phone_number__phone_number",
        "requirement_id",
        "status",
    )
    for number_id, *fields, requirement_id, status in rows.iterator(chunk_size=_CHUNK):
        numbers.setdefault(number_id, (tuple(fields), []))[1].append((requirement_id, status))
    slices: dict[tuple, QueueSlice] = {}
    values = []
    for number_id, (fields, held) in numbers.items():
        order_id, reference, country, number_type, deadline, e164 = fields
        key = {
            "customer_reference": reference,
            "country": country,
            "number_type": number_type,
        }
        first = min(requirement_id for requirement_id, _ in held)
        first_declined = min(
            (r for r, status in held if status == ValueStatus.DECLINED), default=None
        )
        for requirement_id, status in held:
            values.append(
                QueueValue(
                    **key,
                    requirement_id=requirement_id,
                    order_id=order_id,
                    phone_number=e164,
                    deadline=deadline,
                    deadline_order=deadline or LAST,
                    status=status,
                )
            )
            piece = slices.get((order_id, country, number_type, requirement_id, deadline))
            if piece is None:
                piece = slices[(order_id, country, number_type, requirement_id, deadline)] = (
                    QueueSlice(
                        **key,
                        requirement_id=requirement_id,
                        order_id=order_id,
                        deadline=deadline,
                        value_count=0,
                        declined_count=0,
                        number_count=0,
                        declined_number_count=0,
                        last_number=number_id,
                    )
                )
            piece.value_count += 1
            piece.number_count += requirement_id == first
            piece.last_number = max(piece.last_number, number_id)
            if status == ValueStatus.DECLINED:
                piece.declined_count += 1
                piece.declined_number_count += requirement_id == first_declined
                piece.last_declined_number = max(piece.last_declined_number or 0, number_id)
    return list(slices.values()), values


def _hours(slices: Iterable, sign: int, counter: Counter) -> None:
    for piece in slices:
        if piece.deadline is not None and piece.number_count:
            counter[QueueDeadlineHour.of(piece.deadline)] += sign * piece.number_count


def _group_ids(keys: set[GroupKey]) -> tuple[dict[GroupKey, int], int]:
    """The group rows of these keys by key, rows made (their figures to follow) for the keys
    that had none; and how many were made. Read by reference: a reference has few groups."""
    found: dict[GroupKey, int] = {}
    for chunk in batched(sorted({key[0] for key in keys}), _CHUNK):
        rows = QueueGroupRow.objects.filter(customer_reference__in=chunk)
        for group_id, *key in rows.values_list("id", *_GROUP_KEY):
            if tuple(key) in keys:
                found[tuple(key)] = group_id
    missing = [key for key in keys if key not in found]
    made = QueueGroupRow.objects.bulk_create(
        [
            QueueGroupRow(
                **dict(zip(_GROUP_KEY, key, strict=True)),
                numbers=0,
                orders=0,
                declined=0,
                deadline_order=LAST,
                last_number=0,
            )
            for key in missing
        ],
        batch_size=1000,
    )
    found.update((key, row.pk) for key, row in zip(missing, made, strict=True))
    return found, len(made)


def _groups_redo(group_ids: set[int]) -> int:
    """Adds these groups' figures up from their slices again, deleting those left without any;
    returns how many were deleted."""
    deleted = 0
    for chunk in batched(sorted(group_ids), _CHUNK):
        rows = QueueGroupRow.objects.in_bulk(chunk)
        figures = (
            QueueSlice.objects.order_by()
            .filter(group_id__in=chunk)
            .values("group_id")
            .annotate(**QueueSlice.group_figures())
        )
        fresh = []
        for found in figures:
            row = rows.pop(found.pop("group_id"))
            for name, value in found.items():
                setattr(row, name, value)
            row.deadline_order = row.nearest_deadline or LAST
            fresh.append(row)
        # Rewritten whole rather than updated: one INSERT for the lot, the ids kept.
        QueueGroupRow.objects.filter(pk__in=chunk).delete()
        QueueGroupRow.objects.bulk_create(fresh, batch_size=1000)
        deleted += len(rows)
    return deleted


def _slices_save(slices: list[QueueSlice]) -> tuple[set[int], int]:
    """Saves new slices, each in its group (made if new); returns their groups and how many
    groups were made."""
    keys = {tuple(getattr(piece, name) for name in _GROUP_KEY) for piece in slices}
    group_of, made = _group_ids(keys)
    for piece in slices:
        piece.group_id = group_of[tuple(getattr(piece, name) for name in _GROUP_KEY)]
    QueueSlice.objects.bulk_create(slices, batch_size=1000)
    return set(group_of.values()), made


def _rows_add(
    tally: QueueTally, hours: Counter, *, old: list[QueueSlice], derived: tuple[list, list]
) -> None:
    """Saves freshly derived slices and values in place of `old` (deleted already), adding the
    difference to the tally and the hours, and the figures of the groups touched."""
    new, values = derived
    touched, made = _slices_save(new)
    QueueValue.objects.bulk_create(values, batch_size=1000)
    for name, counted in _TALLIED.items():
        change = sum(getattr(s, counted) for s in new) - sum(getattr(s, counted) for s in old)
        setattr(tally, name, getattr(tally, name) + change)
    tally.orders += len({s.order_id for s in new}) - len({s.order_id for s in old})
    _hours(old, -1, hours)
    _hours(new, 1, hours)
    tally.groups += made - _groups_redo(touched | {s.group_id for s in old})


def _orders_redo(tally: QueueTally, order_ids: Sequence[UUID], hours: Counter) -> None:
    """Derives these orders' slices and values again."""
    for chunk in batched(order_ids, _CHUNK):
        old = list(QueueSlice.objects.filter(order_id__in=chunk))
        QueueSlice.objects.filter(order_id__in=chunk).delete()
        QueueValue.objects.filter(order_id__in=chunk).delete()
        _rows_add(tally, hours, old=old, derived=_derive(chunk))


def _hours_add(hours: Counter) -> None:
    changed = {hour: change for hour, change in hours.items() if change}
    held = dict(
        QueueDeadlineHour.objects.filter(hour__in=list(changed)).values_list("hour", "numbers")
    )
    now = {hour: held.get(hour, 0) + change for hour, change in changed.items()}
    QueueDeadlineHour.objects.filter(hour__in=[h for h, n in now.items() if not n]).delete()
    QueueDeadlineHour.objects.bulk_create(
        [QueueDeadlineHour(hour=hour, numbers=n) for hour, n in now.items() if n],
        update_conflicts=True,
        unique_fields=["hour"],
        update_fields=["numbers"],
        batch_size=1000,
    )


def _rebuild(tally: QueueTally, hours: Counter) -> None:
    """Derives every order's slices and values afresh, in one pass over the queue."""
    for model in (QueueSlice, QueueGroupRow, QueueDeadlineHour, QueueValue):
        model.objects.all().delete()
    for name in (*_TALLIED, "orders", "groups"):
        setattr(tally, name, 0)
    _rows_add(tally, hours, old=[], derived=_derive(None))


def _to_derive(mark: datetime) -> list[tuple[UUID, datetime]]:
    """The orders (id, changed_at) changed since OVERLAP before `mark`, but those derived at
    the change they still carry."""
    derived = QueueDerived.objects.filter(order=OuterRef("pk"), changed_at=OuterRef("changed_at"))
    changed = Order.objects.order_by().filter(changed_at__gt=mark - OVERLAP)
    return list(changed.exclude(Exists(derived)).values_list("pk", "changed_at"))


def _derived(changed: list[tuple[UUID, datetime]], *, mark: datetime) -> None:
    """Remembers the orders just derived, at the changed_at read before, and forgets those
    stamped before OVERLAP (no catch-up looks at them again)."""
    QueueDerived.objects.filter(changed_at__lte=mark - OVERLAP).delete()
    QueueDerived.objects.bulk_create(
        [QueueDerived(order_id=order_id, changed_at=at) for order_id, at in changed],
        update_conflicts=True,
        unique_fields=["order"],
        update_fields=["changed_at"],
        batch_size=1000,
    )


def _latest_change() -> datetime | None:
    return Order.objects.aggregate(latest=Max("changed_at"))["latest"]


def queue_rows_catch_up(*, token: int | None = None, rebuild: bool = False) -> QueueTally:
    """Brings the queue's rows up to the orders' change `token` (selectors.freshness; read here
    when not given) and returns the tally: one read when nothing changed since they were; else
    the orders changed since are derived again, and the groups they were or are in. The first
    time (or with `rebuild`), every order."""
    tally = QueueTally.objects.filter(pk=1).first()
    if token is None:
        token = orders_change_token()
    mark = tally and tally.caught_up_to
    if not rebuild and mark is not None and token <= change_token(mark):
        return tally
    with transaction.atomic():
        # Written first, so that SQLite takes its write lock before anything is read.
        QueueTally.objects.bulk_create([QueueTally(pk=1)], ignore_conflicts=True)
        tally = QueueTally.objects.select_for_update().get(pk=1)
        mark, latest = tally.caught_up_to, _latest_change()
        if not rebuild and mark is not None and (latest is None or latest <= mark):
            return tally
        latest = latest or _EPOCH
        hours: Counter = Counter()
        if rebuild or mark is None:
            changed = list(
                Order.objects.filter(changed_at__gt=latest - OVERLAP).values_list(
                    "pk", "changed_at"
                )
            )
            _rebuild(tally, hours)
        else:
            changed = _to_derive(mark)
            _orders_redo(tally, [order_id for order_id, _ in changed], hours)
        _hours_add(hours)
        _derived(changed, mark=latest)
        tally.caught_up_to = latest
        tally.save()
    return tally
