"""One order's requirement update in steps, for a bulk fix: planned from the cache, sent from a
pool thread (network only), audited afterwards; the same request, values and audit entry as
`actions.order_update`, whose pieces it uses."""

import logging
from collections.abc import Mapping, Set
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser

from orders.models import AuditEntry, AuditOutcome, Order, RequirementValue
from orders.services.actions import (
    ActionDone,
    ActionFailed,
    answered_values,
    refusal_message,
    requirement_values,
    requirements_sent,
    update_problems,
)
from orders.services.audit import audit_outcome, audit_write, sent_request
from orders.services.fetch import order_fetch
from orders.services.store import order_mark_gone
from orders.services.telnyx_data import OrderBundle
from orders.telnyx import TelnyxClient, TelnyxError

logger = logging.getLogger(__name__)


@dataclass
class UpdatePlan:
    """One order's update: the values sent and those they replace (`before`)."""

    order: Order
    changes: Mapping[UUID, str]
    before: dict[str, str | list[str]]

    @property
    def requirements(self) -> list[dict]:
        return requirements_sent(self.changes)


@dataclass
class UpdateSent:
    """What Telnyx answered an update with, the values it now holds (`after`), and the order
    fetched after it (None when that fetch failed: Telnyx made the change all the same)."""

    answer: dict
    after: dict[str, str | list[str]]
    bundle: OrderBundle | None


def update_plans(*, orders: list[Order], changes: Mapping[UUID, str]) -> list[UpdatePlan]:
    """The plans of the same changes to several orders, reading the cache once."""
    rows = (
        RequirementValue.objects.filter(
            phone_number__order_id__in=[order.pk for order in orders],
            requirement_id__in=list(changes),
        )
        .exclude(phone_number__requirements_status="cancelled")
        .values_list("phone_number__order_id", "requirement_id", "field_value")
    )
    by_order: dict[UUID, list[tuple[UUID, str]]] = {order.pk: [] for order in orders}
    for order_id, requirement_id, value in rows:
        by_order[order_id].append((requirement_id, value))
    return [
        UpdatePlan(order=order, changes=changes, before=requirement_values(by_order[order.pk]))
        for order in orders
    ]


def update_send(*, plan: UpdatePlan, client: TelnyxClient, known: Set[UUID]) -> UpdateSent:
    """Sends the update and fetches the order it left. Touches no database; raises TelnyxError
    when the update failed. `known`: the requirement ids the cache has definitions for."""
    answer = client.update_number_order(
        str(plan.order.pk), regulatory_requirements=plan.requirements
    )
    return update_confirmed(plan=plan, client=client, known=known, answer=answer)


def update_confirmed(
    *, plan: UpdatePlan, client: TelnyxClient, known: Set[UUID], answer: dict
) -> UpdateSent:
    """The UpdateSent of an update Telnyx applied, the order as it answered (`answer`): its sub
    orders and new definitions fetched, or none when that fails. Touches no database; raises
    TelnyxError (kind "malformed") for an answer that is not an order."""
    after = answered_values(answer, list(plan.changes))
    try:
        bundle = order_fetch(
            client=client, order_id=str(plan.order.pk), known_requirement_ids=known, order=answer
        )
    except TelnyxError as error:
        logger.warning("order %s: fetching it after a write failed: %s", plan.order.pk, error)
        bundle = None
    return UpdateSent(answer=answer, after=after, bundle=bundle)


def update_applied(*, plan: UpdatePlan, answer: dict) -> bool:
    """Whether the order as Telnyx holds it (`answer`) has every value of the plan already: how
    a bulk fix tells that a send whose answer was lost went through."""
    wanted = {str(requirement_id): value for requirement_id, value in plan.changes.items()}
    return answered_values(answer, list(plan.changes)) == wanted


def update_record(
    *, plan: UpdatePlan, user: AbstractBaseUser, result: UpdateSent | TelnyxError, stored: bool
) -> ActionDone:
    """The audit entry of an update sent by update_send, written complete once its outcome is
    known: a bulk fix writes it in one transaction with its own record of the order (its
    scheme against sending twice) rather than pending before the call. Raises ActionFailed for
    a TelnyxError, as order_update does. `stored`: whether the caller cached the order."""
    order = plan.order
    sent = list(plan.changes)
    body = {"regulatory_requirements": plan.requirements}
    record = partial(
        audit_write,
        user=user,
        action=AuditEntry.Action.UPDATE,
        order_id=order.pk,
        sent=sent_request("PATCH", f"/number_orders/{order.pk}", body),
        before=plan.before,
    )
    if isinstance(result, TelnyxError):
        error = result
        if error.status == HTTPStatus.NOT_FOUND:
            order_mark_gone(order_id=order.pk)
        unknown = error.outcome_unknown or error.kind == "malformed"
        entry = record(
            outcome=AuditOutcome.UNKNOWN if unknown else audit_outcome(error), error=error
        )
        problems = update_problems(error, sent)
        message = refusal_message(error, problems=problems, subject="order")
        raise ActionFailed(message, entry=entry, error=error, problems=problems) from error
    entry = record(outcome=AuditOutcome.SUCCESS, after=result.after)
    return ActionDone(entry=entry, order=order, stored=stored)
