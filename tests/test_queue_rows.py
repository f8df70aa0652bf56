"""The queue's rows (groups, slices, values, tally, hours) stay equal to the queue counted afresh
from the cache, through every kind of change, filter and sort; a view after a change derives only
the orders that changed."""

import io
import random
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.db.models import Count, F, Min, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import (
    Order,
    PhoneNumber,
    QueueGroupRow,
    QueueSlice,
    RequirementValue,
    SubOrder,
    ValueStatus,
)
from orders.selectors.queue import GROUP_KEY, queue_export_rows, queue_page
from orders.selectors.queue_scope import queue_values
from orders.selectors.queue_totals import QueueTotals, queue_totals
from orders.services.queue_rows import OVERLAP, queue_rows_catch_up
from tests.helpers import definition

FILTERS = [
    {},
    {"country": "DE"},
    {"customer_reference": "ac"},
    {"number_type": "mobile"},
    {"declined_only": True},
    {"deadline": "overdue"},
    {"deadline": "7d", "declined_only": True},
    {"country": "CH", "declined_only": True},
]


NEAREST = F("deadline").asc(nulls_last=True)
# The page's sorts, as the groups counted from the values sort.
SORTS = {
    "deadline": (NEAREST,),
    "-deadline": (F("deadline").desc(nulls_last=True),),
    "-numbers": ("-numbers", NEAREST),
}


def _counted_groups(sort: str = "deadline", **filters) -> list[tuple]:
    """The queue's groups counted from its values, in the page's order: what the rows replace."""
    rows = (
        queue_values(**filters)
        .values(
            customer_reference=F("phone_number__order__customer_reference"),
            country=F("phone_number__country_code"),
            number_type=F("phone_number__phone_number_type"),
            requirement=F("requirement_id"),
        )
        .annotate(
            numbers=Count("pk"),
            orders=Count("phone_number__order", distinct=True),
            declined=Count("pk", filter=Q(status=ValueStatus.DECLINED)),
            deadline=Min("phone_number__deadline"),
        )
        .order_by(*SORTS[sort], *GROUP_KEY)
    )
    return [
        (*(row[name] for name in GROUP_KEY), row["numbers"], row["orders"], row["declined"])
        + (row["deadline"],)
        for row in rows
    ]


def _values_in_export_order(sort: str = "deadline", **filters) -> list[tuple]:
    deadline = F("phone_number__deadline")
    latest_first = sort == "-deadline"
    nearest = deadline.desc(nulls_last=True) if latest_first else deadline.asc(nulls_last=True)
    rows = (
        queue_values(**filters)
        .order_by(nearest, "phone_number__order_id", "phone_number__phone_number", "requirement_id")
        .values_list(
            "phone_number__order_id", "phone_number__phone_number", "requirement_id", "status"
        )
    )
    return [(str(order_id), e164, str(req), status) for order_id, e164, req, status in rows]


def _counted_totals(now, **filters) -> QueueTotals:
    return QueueTotals(
        **queue_values(now=now, **filters).aggregate(
            values=Count("pk"),
            numbers=Count("phone_number", distinct=True),
            orders=Count("phone_number__order", distinct=True),
            declined=Count("pk", filter=Q(status=ValueStatus.DECLINED)),
            overdue=Count("phone_number", distinct=True, filter=Q(phone_number__deadline__lt=now)),
        )
    )


def _assert_rows_agree() -> None:
    now = timezone.now()
    sorted_too = [{"sort": sort, **f} for sort in ("-deadline", "-numbers") for f in FILTERS[:5]]
    for filters in FILTERS + sorted_too:
        groups = queue_page(per_page=10_000, **filters).groups
        shown = [
            (g.customer_reference, g.country, g.number_type, g.requirement_id)
            + (g.numbers, g.orders, g.declined, g.deadline)
            for g in groups
        ]
        assert shown == _counted_groups(now=now, **filters), filters
        exported = [
            (row.order_text, row.phone_number, row.requirement_text, row.status)
            for row in queue_export_rows(**filters)
        ]
        assert exported == _values_in_export_order(now=now, **filters), filters
        filters.pop("sort", None)
        assert queue_totals(now=now, **filters) == _counted_totals(now, **filters), filters
        for group in groups:
            if group.orders == 1:
                key = Q(
                    phone_number__order__customer_reference=group.customer_reference,
                    phone_number__country_code=group.country,
                    phone_number__phone_number_type=group.number_type,
                    requirement_id=group.requirement_id,
                )
                orders = queue_values(now=now, **filters).filter(key)
                assert {group.order_id} == set(
                    orders.values_list("phone_number__order_id", flat=True)
                )


def _change(rng: random.Random, order: Order, *, now, definitions) -> None:
    """One change of the kinds Telnyx makes, written straight to the cache."""
    numbers = PhoneNumber.objects.filter(order=order)
    values = RequirementValue.objects.filter(phone_number__order=order)
    kind = rng.randrange(9)
    if kind == 0:
        some = list(values.values_list("pk", flat=True))[: rng.randint(1, 3)]
        values.filter(pk__in=some).update(field_value="X", status=ValueStatus.DECLINED)
    elif kind == 1:
        values.update(field_value="CHE-1", status=rng.choice(["pending-approval", "approved"]))
    elif kind == 2:
        values.update(field_value="", status="")
    elif kind == 3:
        SubOrder.objects.filter(order=order).update(status="failure")
        numbers.update(status="failure", requirements_status="cancelled")
    elif kind == 4:
        Order.objects.filter(pk=order.pk).update(status=rng.choice(["success", "pending"]))
    elif kind == 5:
        deadline = rng.choice([None, now - timedelta(days=3), now + timedelta(hours=5)])
        for number in numbers:
            hours = rng.choice([0, 1, 30])
            number.deadline = deadline and deadline + timedelta(hours=hours)
            number.save(update_fields=["deadline"])
    elif kind == 6:
        reference = rng.choice(["ACME", "acme-2", "OTHER", ""])
        Order.objects.filter(pk=order.pk).update(customer_reference=reference)
    elif kind == 7:
        gone = None if order.gone_at else now
        Order.objects.filter(pk=order.pk).update(gone_at=gone)
    else:
        numbers.filter(pk__in=list(numbers.values_list("pk", flat=True))[:1]).delete()
        for number in numbers.all()[:1]:
            RequirementValue.objects.get_or_create(
                phone_number=number,
                requirement_id=rng.choice(definitions).id,
                defaults={"field_type": "textual", "updated_at": now, "synced_at": now},
            )


@pytest.mark.parametrize("seed", range(4))
def test_rows_equal_the_queue_counted_afresh_after_rounds_of_changes(order_factory, seed):
    rng = random.Random(seed)
    definitions = [definition("VAT number"), definition("Address"), definition("ID")]
    now = timezone.now()
    orders = []
    for _ in range(12):
        orders.append(
            order_factory(
                customer_reference=rng.choice(["ACME", "acme-2", "OTHER", ""]),
                numbers=rng.randint(1, 4),
                country=rng.choice(["CH", "DE"]),
                number_type=rng.choice(["local", "mobile"]),
                definitions=rng.sample(definitions, rng.randint(1, 3)),
            )
        )
    _assert_rows_agree()
    # Changes stamped as orders_store stamps them, far enough apart that the catch-up's
    # OVERLAP does not bring the unchanged orders along.
    clock = now + timedelta(days=1)
    for _ in range(6):
        clock += OVERLAP * 2
        for order in rng.sample(orders, 4):
            order.refresh_from_db()
            _change(rng, order, now=now, definitions=definitions)
            Order.objects.filter(pk=order.pk).update(changed_at=clock)
        _assert_rows_agree()


def test_a_view_after_a_change_derives_only_the_orders_that_changed(order_factory):
    vat = definition("VAT number")
    orders = [order_factory(numbers=2, definitions=[vat]) for _ in range(30)]
    Order.objects.update(changed_at=timezone.now() - timedelta(hours=2))
    # The latest change before, within OVERLAP of the mark: derived already at that change.
    Order.objects.filter(pk=orders[-1].pk).update(changed_at=timezone.now() - timedelta(hours=1))
    queue_rows_catch_up()
    later = timezone.now()
    Order.objects.filter(pk=orders[0].pk).update(changed_at=later)

    with CaptureQueriesContext(connection) as captured:
        queue_rows_catch_up()

    derived = [q["sql"] for q in captured if "orders_requirementvalue" in q["sql"]]
    assert len(derived) == 1
    # The one order's id is what the values were read for.
    assert orders[0].pk.hex in derived[0] or str(orders[0].pk) in derived[0]
    for unchanged in (orders[1], orders[-1]):
        assert str(unchanged.pk) not in derived[0] and unchanged.pk.hex not in derived[0]


def test_a_change_committed_late_within_the_overlap_is_caught(order_factory):
    vat = definition("VAT number")
    slow, other = order_factory(numbers=2, definitions=[vat]), order_factory(definitions=[vat])
    queue_rows_catch_up()
    mark = timezone.now() + timedelta(minutes=10)
    Order.objects.filter(pk=other.pk).update(changed_at=mark)
    queue_rows_catch_up()
    # Stamped before the mark, committed after it (a slow transaction).
    RequirementValue.objects.filter(phone_number__order=slow).update(
        field_value="X", status=ValueStatus.DECLINED
    )
    Order.objects.filter(pk=slow.pk).update(changed_at=mark - OVERLAP / 2)
    Order.objects.filter(pk=other.pk).update(changed_at=mark + timedelta(seconds=1))

    queue_rows_catch_up()

    assert queue_totals(declined_only=True).values == 2


def test_nothing_changed_costs_one_read(order_factory):
    order_factory(numbers=3)
    queue_rows_catch_up()

    with CaptureQueriesContext(connection) as captured:
        queue_rows_catch_up()

    # The tally; the change token is read too when the caller has not.
    assert len(captured) == 2


def test_a_rebuild_gives_the_rows_the_catch_up_kept(order_factory):
    vat = definition("VAT number")
    for reference in ("A", "B", "A"):
        order_factory(customer_reference=reference, numbers=2, definitions=[vat])
    queue_rows_catch_up()
    kept = sorted(QueueGroupRow.objects.values_list("customer_reference", "numbers", "orders"))

    queue_rows_catch_up(rebuild=True)

    assert (
        sorted(QueueGroupRow.objects.values_list("customer_reference", "numbers", "orders"))
        == kept
        == [("A", 4, 2), ("B", 2, 1)]
    )
    assert QueueSlice.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_views_catching_up_at_once_leave_one_set_of_rows(order_factory):
    if connection.vendor == "sqlite":
        pytest.skip(
            "SQLite's in-memory test database locks tables across threads at once (a file"
            " database waits its busy timeout); PostgreSQL runs it"
        )
    vat = definition("VAT number")
    for index in range(20):
        order_factory(customer_reference=f"R{index % 3}", numbers=2, definitions=[vat])
    errors = []

    def view() -> None:
        try:
            queue_rows_catch_up()
        except Exception as error:  # the test reports any
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=view) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert QueueSlice.objects.count() == 20
    assert sorted(QueueGroupRow.objects.values_list("customer_reference", "numbers")) == [
        ("R0", 14),
        ("R1", 14),
        ("R2", 12),
    ]


def test_the_command_derives_the_rows_afresh(order_factory):
    order_factory(customer_reference="A", numbers=3)
    queue_rows_catch_up()
    QueueGroupRow.objects.update(numbers=99)  # rows gone wrong
    out = io.StringIO()

    call_command("queue_rows", "--rebuild", stdout=out)

    assert list(QueueGroupRow.objects.values_list("numbers", flat=True)) == [3]
    assert out.getvalue().startswith("queue: groups 1, values 3, numbers 3, orders 1 (")
