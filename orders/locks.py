"""Leases on named jobs, kept in the database, so that two syncs never run at once.

A lease is one Lease row. Taking it is a single atomic statement: an INSERT (the name is the
primary key, so of two racing inserts one fails), or, when the row is there but its lease has
run out, an UPDATE ... WHERE expires_at < now (of two racing updates the second finds the row no
longer expired). Both behave alike on SQLite and PostgreSQL and hold no transaction open. A
holder that dies without releasing blocks the job until its lease runs out; a holder that lives
keeps its lease from running out by calling `keep_alive()` as it goes.
"""

import logging
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.models import Lease

logger = logging.getLogger(__name__)

# Long enough that a healthy holder renews it well before the end (see HeldLease.keep_alive),
# short enough that a crashed one blocks the next run for minutes, not hours.
DEFAULT_LEASE = timedelta(minutes=10)


class LockError(Exception):
    pass


class LockHeld(LockError):
    """Someone else holds the lease."""

    def __init__(self, name: str, holder: str, acquired_at: datetime, expires_at: datetime):
        self.name = name
        self.holder = holder
        self.acquired_at = acquired_at
        self.expires_at = expires_at
        super().__init__(
            f"{name} is already running ({holder}, since {_clock(acquired_at)}; "
            f"its lease runs out at {_clock(expires_at)} unless renewed)"
        )


class LockLost(LockError):
    """Our lease ran out and someone else took it: whatever we were doing is no longer ours."""


def _clock(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z")


@dataclass
class HeldLease:
    """A lease we hold: renew it as we go, release it when done."""

    name: str
    holder: str
    duration: timedelta
    expires_at: datetime

    def keep_alive(self, *, now: datetime | None = None) -> None:
        """Renews the lease once less than half of it is left; cheap to call after every step.
        Raises LockLost when it was taken over meanwhile."""
        now = now or timezone.now()
        if self.expires_at - now < self.duration / 2:
            self.renew(now=now)

    def renew(self, *, now: datetime | None = None) -> None:
        now = now or timezone.now()
        expires_at = now + self.duration
        renewed = Lease.objects.filter(name=self.name, holder=self.holder).update(
            expires_at=expires_at
        )
        if not renewed:
            raise LockLost(f"{self.name}: the lease of {self.holder} was taken over")
        self.expires_at = expires_at

    def release(self) -> None:
        """Gives the lease up, unless someone else has taken it meanwhile (then it is theirs)."""
        Lease.objects.filter(name=self.name, holder=self.holder).delete()


def _holder() -> str:
    # The random part tells apart two holders in one process (threads, tests).
    return f"{socket.gethostname()} pid {os.getpid()} #{uuid.uuid4().hex[:8]}"


def lease_acquire(
    name: str, *, duration: timedelta | None = None, now: datetime | None = None
) -> HeldLease:
    """Takes the lease on `name` for `duration` (DEFAULT_LEASE), or raises LockHeld naming who
    has it."""
    duration = DEFAULT_LEASE if duration is None else duration
    now = now or timezone.now()
    holder = _holder()
    expires_at = now + duration
    # A second round only when the holder released between our insert and our look at its row.
    for _ in range(2):
        try:
            # A savepoint when the caller is in a transaction: a failed insert must not break it.
            with transaction.atomic():
                Lease.objects.create(
                    name=name, holder=holder, acquired_at=now, expires_at=expires_at
                )
        except IntegrityError:
            pass
        else:
            break
        taken = Lease.objects.filter(name=name, expires_at__lt=now).update(
            holder=holder, acquired_at=now, expires_at=expires_at
        )
        if taken:
            logger.warning("%s: took over a lease that had run out", name)
            break
        current = Lease.objects.filter(name=name).first()
        if current is not None:
            raise LockHeld(name, current.holder, current.acquired_at, current.expires_at)
    else:
        raise LockHeld(name, "a holder that keeps coming and going", now, now)
    return HeldLease(name=name, holder=holder, duration=duration, expires_at=expires_at)


def lease_held(name: str, *, now: datetime | None = None) -> bool:
    """Whether someone holds the lease on `name` (one that ran out counts as free)."""
    return Lease.objects.filter(name=name, expires_at__gte=now or timezone.now()).exists()


@contextmanager
def lease(name: str, *, duration: timedelta | None = None) -> Iterator[HeldLease]:
    """`with lease("sync") as held:` ... `held.keep_alive()` ...; released however it ends."""
    held = lease_acquire(name, duration=duration)
    try:
        yield held
    finally:
        held.release()
