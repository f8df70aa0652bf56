"""What people do to orders through the dashboard: update, cancel, refresh, each audited."""

import logging
import re
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from http import HTTPStatus
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError

from orders.locks import LockHeld, lease
from orders.models import AuditEntry, AuditOutcome, Order, RequirementValue, Status, SubOrder
from orders.services.audit import audit_outcome, audit_write, error_sources, sent_request
from orders.services.fetch import client_scope, order_fetch
from orders.services.refresh import order_reload
from orders.services.store import known_requirement_ids, order_mark_gone, order_store
from orders.services.telnyx_data import OrderBundle, as_text
from orders.telnyx import TelnyxClient, TelnyxError

logger = logging.getLogger(__name__)


# A double submit of a cancel finds the first one's lease and is refused; a crashed request
# frees the sub order after this long.
CANCEL_LEASE = timedelta(minutes=2)
_REQUIREMENT_POINTER = re.compile(r"/regulatory_requirements/(\d+)(?:/.*)?")


class ActionFailed(Exception):
    """An update, cancel or refresh that did not happen; `message` tells the person who tried
    why. Its audit entry is written, and the cache is as it was, except that an order Telnyx
    answered 404 for is marked gone."""

    def __init__(
        self,
        message: str,
        *,
        entry: AuditEntry,
        error: TelnyxError | None = None,
        problems: dict[UUID | str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.entry = entry
        self.error = error
        # Telnyx's refusals by what they name: a requirement id, or "customer_reference".
        self.problems = problems or {}

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


def _failure_message(error: TelnyxError, *, subject: str) -> str:
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


def _values(pairs: Iterable[tuple[object, str]]) -> dict[str, str | list[str]]:
    """Requirement id -> its value on the numbers, or their sorted values when they differ."""
    found: dict[str, set[str]] = {}
    for requirement_id, value in pairs:
        found.setdefault(str(requirement_id), set()).add(value)
    return {requirement_id: _one_or_all(values) for requirement_id, values in found.items()}


def _cached_values(
    order_ids: list[UUID], requirement_ids: list[UUID]
) -> dict[UUID, dict[str, str | list[str]]]:
    """Order id -> requirement id -> its cached value(s), in one query for many orders."""
    rows = (
        RequirementValue.objects.filter(
            phone_number__order_id__in=order_ids, requirement_id__in=requirement_ids
        )
        .exclude(phone_number__requirements_status="cancelled")
        .values_list("phone_number__order_id", "requirement_id", "field_value")
    )
    by_order: dict[UUID, list[tuple[UUID, str]]] = {order_id: [] for order_id in order_ids}
    for order_id, requirement_id, value in rows:
        by_order[order_id].append((requirement_id, value))
    return {order_id: _values(pairs) for order_id, pairs in by_order.items()}


def _answered_values(answer: dict, requirement_ids: list[UUID]) -> dict[str, str | list[str]]:
    wanted = {str(requirement_id) for requirement_id in requirement_ids}
    return _values(
        (item.get("requirement_id"), as_text(item.get("field_value")))
        for number in answer.get("phone_numbers") or []
        if number.get("requirements_status") != "cancelled"
        for item in number.get("regulatory_requirements") or []
        if item.get("requirement_id") in wanted
    )


def _problems(error: TelnyxError, sent: list[UUID]) -> dict[UUID | str, list[str]]:
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
    except TelnyxError as error:
        logger.warning("order %s: caching it after a write failed: %s", order_id, error)
        return None
    return _store_after_write(order_id=order_id, bundle=bundle)


def _store_after_write(*, order_id: UUID, bundle: OrderBundle | None) -> Order | None:
    if bundle is None:
        return None
    try:
        return order_store(bundle=bundle)[0]
    except DatabaseError as error:
        logger.warning("order %s: caching it after a write failed: %s", order_id, error)
        return None


@dataclass
class UpdatePlan:
    """One order's update as order_update sends and audits it: made by update_plan (reads the
    cache), sent by update_send (network only, so a bulk fix runs it in threads), recorded by
    update_record (writes the cache and the audit)."""

    order: Order
    customer_reference: str | None
    changes: Mapping[UUID, str]
    before: dict[str, str | list[str]]

    @property
    def requirements(self) -> list[dict]:
        return [
            {"requirement_id": str(requirement_id), "field_value": value}
            for requirement_id, value in self.changes.items()
        ]

    @property
    def body(self) -> dict:
        body: dict = {}
        if self.customer_reference is not None:
            body["customer_reference"] = self.customer_reference
        if self.changes:
            body["regulatory_requirements"] = self.requirements
        return body


@dataclass
class UpdateSent:
    """What Telnyx answered an update with, and the order fetched after it (None when that
    fetch failed: Telnyx made the change all the same)."""

    answer: dict
    bundle: OrderBundle | None


def update_plan(
    *, order: Order, customer_reference: str | None = None, changes: Mapping[UUID, str]
) -> UpdatePlan:
    (plan,) = update_plans(orders=[order], customer_reference=customer_reference, changes=changes)
    return plan


def update_plans(
    *, orders: list[Order], customer_reference: str | None = None, changes: Mapping[UUID, str]
) -> list[UpdatePlan]:
    """update_plan() for the same changes to several orders, reading the cache once."""
    cached = _cached_values([order.pk for order in orders], list(changes))
    plans = []
    for order in orders:
        before = cached[order.pk]
        if customer_reference is not None:
            before["customer_reference"] = order.customer_reference
        plans.append(
            UpdatePlan(
                order=order, customer_reference=customer_reference, changes=changes, before=before
            )
        )
    return plans


def update_send(*, plan: UpdatePlan, client: TelnyxClient, known: Set[UUID]) -> UpdateSent:
    """Sends the update and fetches the order it left. Touches no database; raises TelnyxError
    when the update failed. `known`: the requirement ids the cache has definitions for."""
    answer = client.update_number_order(
        str(plan.order.pk),
        customer_reference=plan.customer_reference,
        regulatory_requirements=plan.requirements or None,
    )
    return update_confirmed(plan=plan, client=client, known=known, answer=answer)


def update_confirmed(
    *, plan: UpdatePlan, client: TelnyxClient, known: Set[UUID], answer: dict
) -> UpdateSent:
    """The UpdateSent of an update Telnyx applied, the order as it answered (`answer`): its sub
    orders and new definitions fetched, or none when that fails. Touches no database."""
    try:
        bundle = order_fetch(
            client=client, order_id=str(plan.order.pk), known_requirement_ids=known, order=answer
        )
    except TelnyxError as error:
        logger.warning("order %s: fetching it after a write failed: %s", plan.order.pk, error)
        bundle = None
    return UpdateSent(answer=answer, bundle=bundle)


def update_applied(*, plan: UpdatePlan, answer: dict) -> bool:
    """Whether the order as Telnyx holds it (`answer`) has every requirement value of the plan
    already: how a bulk fix tells that a send whose answer was lost went through."""
    wanted = {str(requirement_id): value for requirement_id, value in plan.changes.items()}
    return _answered_values(answer, list(plan.changes)) == wanted


def update_record(
    *,
    plan: UpdatePlan,
    user: AbstractBaseUser,
    result: UpdateSent | TelnyxError,
    stored: bool | None = None,
) -> ActionDone:
    """Caches what update_send got and writes the audit entry of the attempt; raises
    ActionFailed for a TelnyxError, as order_update does. `stored`: whether the caller cached
    the order already (a bulk fix stores its orders in batches); None: it is cached here."""
    order = plan.order
    sent = list(plan.changes)
    record = partial(
        audit_write,
        user=user,
        action=AuditEntry.Action.UPDATE,
        order_id=order.pk,
        sent=sent_request("PATCH", f"/number_orders/{order.pk}", plan.body),
        before=plan.before,
    )
    if isinstance(result, TelnyxError):
        error = result
        if error.status == HTTPStatus.NOT_FOUND:
            order_mark_gone(order_id=order.pk)
        entry = record(outcome=audit_outcome(error), error=error)
        problems = _problems(error, sent)
        message = (
            "Telnyx refused the values marked below, so nothing was changed."
            if problems
            else _failure_message(error, subject="order")
        )
        raise ActionFailed(message, entry=entry, error=error, problems=problems) from error
    cached = None
    if stored is None:
        cached = _store_after_write(order_id=order.pk, bundle=result.bundle)
        stored = cached is not None
    after = _answered_values(result.answer, sent)
    if plan.customer_reference is not None:
        after["customer_reference"] = as_text(result.answer.get("customer_reference"))
    entry = record(outcome=AuditOutcome.SUCCESS, after=after)
    return ActionDone(entry=entry, order=cached or order, stored=stored)


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

    Raises ActionFailed when Telnyx refuses, its `problems` placed on what they name, or cannot
    be reached. The cache is left as it was then, except that a 404 marks the order gone.
    """
    plan = update_plan(order=order, customer_reference=customer_reference, changes=changes)
    with client_scope(client) as telnyx:
        try:
            result: UpdateSent | TelnyxError = update_send(
                plan=plan, client=telnyx, known=known_requirement_ids()
            )
        except TelnyxError as error:
            result = error
    return update_record(plan=plan, user=user, result=result)


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
    then, and when Telnyx refuses or cannot be reached.
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
        with (
            lease(f"cancel {sub_order.pk}", duration=CANCEL_LEASE),
            client_scope(client) as telnyx,
        ):
            try:
                answer = telnyx.cancel_sub_number_order(str(sub_order.pk))
            except TelnyxError as error:
                entry = record(outcome=audit_outcome(error), error=error)
                message = _failure_message(error, subject="sub order")
                raise ActionFailed(message, entry=entry, error=error) from error
            stored = _recache(client=telnyx, order_id=sub_order.order_id)
    except LockHeld:
        entry = record(outcome=AuditOutcome.FORBIDDEN)
        raise ActionFailed(
            "This sub order is being cancelled already (by another request), so this one was "
            "not sent to Telnyx.",
            entry=entry,
        ) from None
    entry = record(outcome=AuditOutcome.SUCCESS, after={"status": as_text(answer.get("status"))})
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
    """order_reload() asked for by someone: audited, and failures raised as ActionFailed
    (a 404 marks the order gone)."""
    record = partial(
        audit_write,
        user=user,
        action=AuditEntry.Action.REFRESH,
        order_id=order.pk,
        sent=sent_request("GET", f"/number_orders/{order.pk}"),
        before=_order_facts(order),
    )
    try:
        refreshed = order_reload(order_id=order.pk, client=client)
    except TelnyxError as error:
        entry = record(outcome=audit_outcome(error), error=error)
        raise ActionFailed(
            _failure_message(error, subject="order"), entry=entry, error=error
        ) from error
    except DatabaseError as error:
        logger.exception("order %s: storing the refreshed order failed", order.pk)
        entry = record(outcome=AuditOutcome.FAILED, telnyx_detail=f"not stored: {error}")
        raise ActionFailed(
            "Telnyx answered, but the order could not be stored. Nothing was changed; try again.",
            entry=entry,
        ) from error
    entry = record(outcome=AuditOutcome.SUCCESS, after=_order_facts(refreshed))
    return ActionDone(entry=entry, order=refreshed)
