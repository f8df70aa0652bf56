"""What people do to orders through the dashboard: update, cancel, refresh, each audited."""

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from http import HTTPStatus
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError

from orders.locks import LockHeld, lease
from orders.models import AuditEntry, AuditOutcome, Order, RequirementValue, Status, SubOrder
from orders.services.audit import (
    audit_complete,
    audit_completed,
    audit_outcome,
    audit_write,
    error_sources,
    sent_request,
)
from orders.services.fetch import client_scope, order_fetch
from orders.services.refresh import order_reload
from orders.services.store import known_requirement_ids, order_mark_gone, order_store
from orders.services.telnyx_data import as_text, malformed
from orders.telnyx import TelnyxClient, TelnyxError

logger = logging.getLogger(__name__)


# A double submit of a cancel finds the first one's lease and is refused; a crashed request
# frees the sub order after this long.
CANCEL_LEASE = timedelta(minutes=2)
_REQUIREMENT_POINTER = re.compile(r"/regulatory_requirements/(\d+)(?:/.*)?")


class ActionFailed(Exception):
    """An update, cancel or refresh that did not happen, or of which it is not known whether
    Telnyx applied it; `message` tells the person who tried. Its audit entry is written and
    complete, and the cache is as it was, except that an order Telnyx answered 404 for is
    marked gone, and an order a write of unknown outcome was sent for is fetched again
    (`refreshed`) when the time budget leaves room."""

    def __init__(
        self,
        message: str,
        *,
        entry: AuditEntry,
        error: TelnyxError | None = None,
        problems: dict[UUID | str, list[str]] | None = None,
        refreshed: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.entry = entry
        self.error = error
        # Telnyx's refusals by what they name: a requirement id, or "customer_reference".
        self.problems = problems or {}
        self.refreshed = refreshed

    @property
    def retryable(self) -> bool:
        """Trying again may work: Telnyx was not reached, failed or was busy, or its answer
        could not be read."""
        return self.error is not None and (self.error.retryable or self.error.kind == "malformed")


@dataclass
class ActionDone:
    entry: AuditEntry
    order: Order  # as cached after the action
    # False when Telnyx did it but the order could not be fetched or stored afterwards: the
    # cache shows the change after the next refresh.
    stored: bool = True


def failure_message(error: TelnyxError, *, subject: str) -> str:
    """What to tell the person whose action on an "order" or "sub order" (`subject`) failed."""
    if error.status == HTTPStatus.NOT_FOUND:
        return f"Telnyx no longer knows this {subject} (HTTP 404), so nothing was changed."
    if error.status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
        return (
            f"Telnyx refused the dashboard's credentials (HTTP {error.status}), so nothing was "
            "changed. An administrator must check the Telnyx API key."
        )
    if error.retryable:
        return f"{error} Nothing was changed; try again in a moment."
    if error.kind == "malformed":
        return f"{error} Nothing was changed here; refresh the order to see what Telnyx holds."
    return (
        f"Telnyx refused it (HTTP {error.status}): {(error.detail or error.title).rstrip('.')}. "
        "Nothing was changed."
    )


def _one_or_all(values: set[str]) -> str | list[str]:
    return next(iter(values)) if len(values) == 1 else sorted(values)


def requirement_values(pairs: Iterable[tuple[object, str]]) -> dict[str, str | list[str]]:
    """Requirement id -> its value on the numbers, or their sorted values when they differ."""
    found: dict[str, set[str]] = {}
    for requirement_id, value in pairs:
        found.setdefault(str(requirement_id), set()).add(value)
    return {requirement_id: _one_or_all(values) for requirement_id, values in found.items()}


def _cached_values(order: Order, requirement_ids: list[UUID]) -> dict[str, str | list[str]]:
    rows = (
        RequirementValue.objects.filter(
            phone_number__order_id=order.pk, requirement_id__in=requirement_ids
        )
        .exclude(phone_number__requirements_status="cancelled")
        .values_list("requirement_id", "field_value")
    )
    return requirement_values(rows)


def answered_values(answer: dict, requirement_ids: list[UUID]) -> dict[str, str | list[str]]:
    """The values Telnyx answered a write with; TelnyxError (kind "malformed") when its answer
    does not have the shape of an order."""
    wanted = {str(requirement_id) for requirement_id in requirement_ids}
    with malformed(f"the answer about order {answer.get('id')}"):
        numbers = answer.get("phone_numbers") or []
        if not isinstance(numbers, list):
            raise TypeError("phone_numbers is not a list")
        return requirement_values(
            (item["requirement_id"], as_text(item.get("field_value")))
            for number in numbers
            if number.get("requirements_status") != "cancelled"
            for item in number.get("regulatory_requirements") or []
            if item.get("requirement_id") in wanted
        )


def update_problems(error: TelnyxError, sent: list[UUID]) -> dict[UUID | str, list[str]]:
    """Telnyx's refusals by what their pointer names: `/customer_reference`, or
    `/regulatory_requirements/<i>/...`, the i-th requirement sent."""
    problems: dict[UUID | str, list[str]] = {}
    for pointer, text in error_sources(error):
        key: UUID | str | None = None
        if pointer == "/customer_reference":
            key = "customer_reference"
        elif (match := _REQUIREMENT_POINTER.fullmatch(pointer or "")) and int(match[1]) < len(sent):
            key = sent[int(match[1])]
        if key is not None:
            problems.setdefault(key, []).append(text or "Refused by Telnyx.")
    return problems


def _recache(*, client: TelnyxClient, order_id: UUID, answer: dict | None = None) -> Order | None:
    """Caches an order after a write at Telnyx, from `answer` when it is the whole order, with
    its sub orders fetched again. None when that fails: Telnyx has made the change, and the
    cache catches up at the next refresh or sync."""
    try:
        bundle = order_fetch(
            client=client,
            order_id=str(order_id),
            known_requirement_ids=known_requirement_ids(),
            order=answer,
        )
        return order_store(bundle=bundle)[0]
    except (TelnyxError, DatabaseError) as error:
        logger.warning("order %s: caching it after a write failed: %s", order_id, error)
        return None


def requirements_sent(changes: Mapping[UUID, str]) -> list[dict]:
    """A PATCH's `regulatory_requirements`: requirement id -> value, as Telnyx takes them."""
    return [
        {"requirement_id": str(requirement_id), "field_value": value}
        for requirement_id, value in changes.items()
    ]


def refusal_message(
    error: TelnyxError, *, problems: dict[UUID | str, list[str]] | None, subject: str
) -> str:
    """What a person is told of a write Telnyx answered with an error: the fields it named are
    marked where they are shown, anything else is said in words."""
    if problems:
        return "Telnyx refused the values marked below, so nothing was changed."
    return failure_message(error, subject=subject)


def write_failed(
    entry: AuditEntry,
    error: TelnyxError,
    *,
    telnyx: TelnyxClient,
    order_id: UUID,
    subject: str,
    problems: dict[UUID | str, list[str]] | None = None,
) -> ActionFailed:
    """The ActionFailed of a write to an "order" or "sub order" (`subject`) that Telnyx did
    not answer with success, its audit entry completed.

    When Telnyx may have applied it (no answer after sending it, a 5xx, an answer that could
    not be read) the person is told so, and the order is fetched again within what is left of
    the time budget, so that the page shows which; not after an unreadable answer, as the
    order is likely to be as unreadable.
    """
    if not (error.outcome_unknown or error.kind == "malformed"):
        audit_complete(entry, outcome=audit_outcome(error), error=error)
        message = refusal_message(error, problems=problems, subject=subject)
        return ActionFailed(message, entry=entry, error=error, problems=problems)
    refreshed = error.kind != "malformed" and _recache(client=telnyx, order_id=order_id) is not None
    audit_complete(entry, outcome=AuditOutcome.UNKNOWN, error=error)
    if error.kind == "malformed":
        then = "this page was not changed. Refresh the order to see what Telnyx holds."
    elif refreshed:
        then = "so the order was fetched from Telnyx again: this page shows what it holds now."
    else:
        then = "fetching the order again failed too: refresh the order in a moment to find out."
    return ActionFailed(
        f"{error} It is not known whether Telnyx applied the change; {then}",
        entry=entry,
        error=error,
        refreshed=refreshed,
    )


def order_update(
    *,
    order: Order,
    user: AbstractBaseUser,
    customer_reference: str | None = None,
    changes: Mapping[UUID, str],
    client: TelnyxClient | None = None,
) -> ActionDone:
    """Sends a new customer reference (None: unchanged) and requirement values (requirement
    id -> value; only these are sent) to Telnyx, then caches the order as Telnyx answered.

    Raises ActionFailed when Telnyx refuses, its `problems` placed on what they name, cannot be
    reached, or does not say whether it applied the change. The cache is left as it was then,
    except that a 404 marks the order gone and an unknown outcome fetches the order again.
    """
    sent = list(changes)
    requirements = requirements_sent(changes)
    body: dict = {} if customer_reference is None else {"customer_reference": customer_reference}
    if requirements:
        body["regulatory_requirements"] = requirements
    before = _cached_values(order, sent)
    if customer_reference is not None:
        before["customer_reference"] = order.customer_reference
    entry = audit_write(
        user=user,
        outcome=AuditOutcome.PENDING,
        action=AuditEntry.Action.UPDATE,
        order_id=order.pk,
        sent=sent_request("PATCH", f"/number_orders/{order.pk}", body),
        before=before,
    )
    with audit_completed(entry), client_scope(client, interactive=True) as telnyx:
        try:
            answer = telnyx.update_number_order(
                str(order.pk),
                customer_reference=customer_reference,
                regulatory_requirements=requirements or None,
            )
            after = answered_values(answer, sent)
        except TelnyxError as error:
            if error.status == HTTPStatus.NOT_FOUND:
                order_mark_gone(order_id=order.pk)
            raise write_failed(
                entry,
                error,
                telnyx=telnyx,
                order_id=order.pk,
                subject="order",
                problems=update_problems(error, sent),
            ) from error
        if customer_reference is not None:
            after["customer_reference"] = as_text(answer.get("customer_reference"))
        stored = _recache(client=telnyx, order_id=order.pk, answer=answer)
        audit_complete(entry, outcome=AuditOutcome.SUCCESS, after=after)
    return ActionDone(entry=entry, order=stored or order, stored=stored is not None)


def sub_order_cancel(
    *,
    sub_order: SubOrder,
    user: AbstractBaseUser,
    reason: str,
    client: TelnyxClient | None = None,
) -> ActionDone:
    """Cancels a pending sub order at Telnyx (its numbers are dropped), then caches its order
    again. `reason` goes into the audit entry.

    Refused without asking Telnyx (AuditOutcome.FORBIDDEN) when the cached sub order is not
    pending, or while another cancel of it is under way (a double submit). Raises ActionFailed
    then, and when Telnyx refuses, cannot be reached or does not say whether it cancelled
    (the order is fetched again then).
    """
    path = f"/sub_number_orders/{sub_order.pk}/cancel"
    record = partial(
        audit_write,
        user=user,
        action=AuditEntry.Action.CANCEL,
        order_id=sub_order.order_id,
        sub_order_id=sub_order.pk,
        reason=reason,
        sent=sent_request("PATCH", path),
        before={
            "status": sub_order.status,
            "phone_numbers": list(sub_order.phone_numbers.values_list("phone_number", flat=True)),
        },
    )
    if sub_order.status != Status.PENDING:
        entry = record(outcome=AuditOutcome.FORBIDDEN)
        raise ActionFailed(
            f"This sub order is {sub_order.status}, not pending: only pending sub orders can be "
            "cancelled. Nothing was sent to Telnyx.",
            entry=entry,
        )
    try:
        with lease(f"cancel {sub_order.pk}", duration=CANCEL_LEASE):
            entry = record(outcome=AuditOutcome.PENDING)
            with audit_completed(entry), client_scope(client, interactive=True) as telnyx:
                try:
                    answer = telnyx.cancel_sub_number_order(str(sub_order.pk))
                except TelnyxError as error:
                    raise write_failed(
                        entry,
                        error,
                        telnyx=telnyx,
                        order_id=sub_order.order_id,
                        subject="sub order",
                    ) from error
                stored = _recache(client=telnyx, order_id=sub_order.order_id)
                audit_complete(
                    entry,
                    outcome=AuditOutcome.SUCCESS,
                    after={"status": as_text(answer.get("status"))},
                )
    except LockHeld:
        entry = record(outcome=AuditOutcome.FORBIDDEN)
        raise ActionFailed(
            "This sub order is being cancelled already (by another request), so this one was "
            "not sent to Telnyx.",
            entry=entry,
        ) from None
    return ActionDone(entry=entry, order=stored or sub_order.order, stored=stored is not None)


def _order_facts(order: Order) -> dict:
    return {
        "status": order.status,
        "customer_reference": order.customer_reference,
        "requirements_met": order.requirements_met,
        "numbers_awaiting": order.numbers_awaiting,
        "updated_at": order.updated_at.isoformat(),
    }


def order_refresh(
    *, order: Order, user: AbstractBaseUser, client: TelnyxClient | None = None
) -> ActionDone:
    """order_reload() asked for by someone: audited, within a person's time budget, and
    failures raised as ActionFailed (a 404 marks the order gone)."""
    entry = audit_write(
        user=user,
        outcome=AuditOutcome.PENDING,
        action=AuditEntry.Action.REFRESH,
        order_id=order.pk,
        sent=sent_request("GET", f"/number_orders/{order.pk}"),
        before=_order_facts(order),
    )
    with audit_completed(entry), client_scope(client, interactive=True) as telnyx:
        try:
            refreshed = order_reload(order_id=order.pk, client=telnyx)
        except TelnyxError as error:
            audit_complete(entry, outcome=audit_outcome(error), error=error)
            raise ActionFailed(
                failure_message(error, subject="order"), entry=entry, error=error
            ) from error
        except DatabaseError as error:
            logger.exception("order %s: storing the refreshed order failed", order.pk)
            audit_complete(
                entry, outcome=AuditOutcome.FAILED, telnyx_detail="Telnyx's answer not stored"
            )
            raise ActionFailed(
                "Telnyx answered, but the order could not be stored. Nothing was changed; try "
                "again.",
                entry=entry,
            ) from error
        audit_complete(entry, outcome=AuditOutcome.SUCCESS, after=_order_facts(refreshed))
    return ActionDone(entry=entry, order=refreshed)
