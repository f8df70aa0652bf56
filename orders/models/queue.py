"""The queue kept as rows of its own, so that a page of it reads a page of rows whatever the
number of orders: slices of what each order needs, the groups made of them, the totals and the
numbers per hour of deadline, and its values as the export writes them. Derived from the cache
by services.queue_rows, never edited."""

from datetime import UTC, datetime

from django.db import models

from orders.models.cache import Order, PhoneNumber, RequirementValue, SubOrder


class _GroupKey(models.Model):
    """What makes a group of the queue (selectors.queue.GROUP_KEY): the same requirement, for
    numbers of one country and type, in orders with the same customer reference."""

    customer_reference = models.CharField(
        max_length=Order._meta.get_field("customer_reference").max_length, blank=True
    )
    country = models.CharField(max_length=SubOrder._meta.get_field("country_code").max_length)
    number_type = models.CharField(
        max_length=SubOrder._meta.get_field("phone_number_type").max_length
    )
    requirement_id = models.UUIDField()

    class Meta:
        abstract = True


class QueueSlice(_GroupKey):
    """The values of selectors.queue_scope.needs_action() in one order for one country, number type,
    requirement and deadline: the unit a catch-up rewrites when the order changes."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    # The group the slice adds to: its figures are added up again from its slices by this id.
    # No constraint: a catch-up rewrites a group's row under the same id.
    group = models.ForeignKey(
        "QueueGroupRow", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    deadline = models.DateTimeField(null=True)
    value_count = models.PositiveIntegerField()
    declined_count = models.PositiveIntegerField()
    # A number counts in the slice of its first value to act on (by requirement id), and of its
    # first declined one: sums over any filter that keeps whole numbers count each number once.
    number_count = models.PositiveIntegerField()
    declined_number_count = models.PositiveIntegerField()
    last_number = models.BigIntegerField()  # the greatest PhoneNumber pk of the slice's
    last_declined_number = models.BigIntegerField(null=True)  # of those with a declined value

    class Meta:
        indexes = [
            models.Index(fields=["country", "deadline"], name="queueslice_country"),
            models.Index(fields=["deadline", "number_count"], name="queueslice_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.country} {self.number_type} {self.requirement_id}"

    @staticmethod
    def group_figures(*, declined_only: bool = False) -> dict:
        """A group's figures as its slices add up (aggregates by QueueGroupRow's field names);
        with `declined_only`, of its declined values alone."""
        return {
            "numbers": models.Sum("declined_count" if declined_only else "value_count"),
            "orders": models.Count("order", distinct=True),
            "declined": models.Sum("declined_count"),
            "nearest_deadline": models.Min("deadline"),
            "last_number": models.Max("last_declined_number" if declined_only else "last_number"),
            "last_declined_number": models.Max("last_declined_number"),
        }


class QueueValue(_GroupKey):
    """A value of selectors.queue_scope.needs_action() as the queue's export writes it: read in
    one pass, in the export's order, without the joins that find it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    phone_number = models.CharField(
        max_length=PhoneNumber._meta.get_field("phone_number").max_length
    )
    deadline = models.DateTimeField(null=True)
    # The deadline, or LAST for none: the export's order, which the index holds.
    deadline_order = models.DateTimeField()
    status = models.CharField(max_length=RequirementValue._meta.get_field("status").max_length)

    class Meta:
        indexes = [
            models.Index(
                fields=["deadline_order", "order", "phone_number", "requirement_id"],
                name="queuevalue_export",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone_number} {self.requirement_id}"


class QueueGroupRow(_GroupKey):
    """A group of the queue as its slices add up."""

    numbers = models.PositiveIntegerField()
    orders = models.PositiveIntegerField()
    declined = models.PositiveIntegerField()
    nearest_deadline = models.DateTimeField(null=True)
    # The nearest deadline, or LAST for none: a column the ordering index holds without NULLS
    # LAST, which SQLite cannot read from an index.
    deadline_order = models.DateTimeField()
    last_number = models.BigIntegerField()
    last_declined_number = models.BigIntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer_reference", "country", "number_type", "requirement_id"],
                name="queuegrouprow_key",
            )
        ]
        indexes = [
            models.Index(
                fields=[
                    "deadline_order",
                    "customer_reference",
                    "country",
                    "number_type",
                    "requirement_id",
                ],
                name="queuegrouprow_deadline",
            ),
            models.Index(
                fields=["country", "deadline_order", "customer_reference"],
                name="queuegrouprow_country",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_reference or '-'} {self.country} {self.number_type}"


class QueueTally(models.Model):
    """The one row of the whole queue's totals, and how far the rows have caught up."""

    # The latest Order.changed_at the rows reflect; None: never built.
    caught_up_to = models.DateTimeField(null=True)
    values = models.PositiveIntegerField(default=0)
    numbers = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)
    declined = models.PositiveIntegerField(default=0)
    groups = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"queue caught up to {self.caught_up_to}"


class QueueDeadlineHour(models.Model):
    """Numbers of the queue whose deadline falls within one hour: the overdue count reads the
    hours gone by rather than every number."""

    hour = models.DateTimeField(primary_key=True)
    numbers = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h: {self.numbers}"

    @staticmethod
    def of(moment: datetime) -> datetime:
        """The hour `moment` falls within (UTC): the row that counts it."""
        return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


class QueueDerived(models.Model):
    """An order derived lately, at the changed_at it had then: a catch-up looks again at the
    orders changed within OVERLAP before its mark (a late commit), and passes over these."""

    order = models.OneToOneField(
        Order, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    changed_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.order_id} at {self.changed_at}"
