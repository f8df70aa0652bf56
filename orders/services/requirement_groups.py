"""The requirement groups: the cache of the account's groups, and attaching one to a pending
sub order (each attempt audited)."""

import logging
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, transaction
from django.utils import timezone

from orders.models import AuditEntry, AuditOutcome, RequirementGroup, RequirementValue, SubOrder
from orders.selectors.requirement_groups import GroupFit, group_fit
from orders.services.actions import ActionDone, ActionFailed, write_failed
from orders.services.audit import audit_complete, audit_completed, audit_write, sent_request
from orders.services.fetch import client_scope
from orders.services.refresh import order_reload
from orders.services.telnyx_data import malformed, parse_timestamp
from orders.services.telnyx_fields import clean_text, max_lengths
from orders.telnyx import TelnyxClient, TelnyxError

logger = logging.getLogger(__name__)

# A group holds a value per requirement of its country: a few dozen at most. More is not a group
# the dashboard can show, and is cut rather than stored.
MAX_GROUP_VALUES = 100


# What a sync rewrites of a group it already holds.
GROUP_FIELDS = [
    "country_code",
    "phone_number_type",
    "action",
    "status",
    "customer_reference",
    "regulatory_requirements",
    "created_at",
    "updated_at",
    "synced_at",
]


_GROUP_TEXT = max_lengths(RequirementGroup)


def _values(items: object) -> list[dict]:
    """A group's `regulatory_requirements`, keeping what the pages read, as strings."""
    if not isinstance(items, list):
        return []
    return [
        {
            key: clean_text(item.get(key), 2000)
            for key in ("requirement_id", "field_type", "field_value", "status")
        }
        for item in items[:MAX_GROUP_VALUES]
        if isinstance(item, dict)
    ]


def _group_row(item: dict) -> dict:
    group_id = clean_text(item["id"], _GROUP_TEXT["id"])
    if not group_id:
        raise ValueError(f"a requirement group without an id: {item.get('id')!r}")
    return {
        "id": group_id,
        # Every text column of the model but the id: country_code, phone_number_type, action,
        # status, customer_reference.
        **{
            name: clean_text(item.get(name), limit)
            for name, limit in _GROUP_TEXT.items()
            if name != "id"
        },
        "regulatory_requirements": _values(item.get("regulatory_requirements")),
        "created_at": parse_timestamp(item.get("created_at")),
        "updated_at": parse_timestamp(item.get("updated_at")),
    }


def requirement_groups_sync(*, client: TelnyxClient | None = None) -> int:
    """Replaces the cached groups by those Telnyx lists (one request); returns how many.
    Raises TelnyxError, the cache unchanged, when Telnyx fails or sends what cannot be read."""
    with client_scope(client) as telnyx:
        listed = telnyx.list_requirement_groups()
    with malformed("requirement groups"):
        rows = {row["id"]: row for row in map(_group_row, listed)}
    now = timezone.now()
    with transaction.atomic():
        RequirementGroup.objects.exclude(pk__in=list(rows)).delete()
        RequirementGroup.objects.bulk_create(
            [RequirementGroup(**row, synced_at=now) for row in rows.values()],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=GROUP_FIELDS,
        )
    return len(rows)


def _open_values(sub_order: SubOrder) -> dict[str, str]:
    """Requirement id -> value of the sub order's values not approved (one per requirement)."""
    rows = (
        RequirementValue.objects.filter(phone_number__sub_order=sub_order)
        .exclude(status="approved")
        .exclude(phone_number__requirements_status="cancelled")
        .order_by("id")
        .values_list("requirement_id", "field_value")
    )
    return {str(requirement_id): value for requirement_id, value in rows}


def _refusal(fit: GroupFit | None, sub_order: SubOrder) -> str | None:
    """Why the dashboard does not send this attach at all, or None."""
    if sub_order.status != "pending":
        return (
            f"This sub order is {sub_order.status}, not pending: requirement groups can only be "
            "attached to pending sub orders. Nothing was sent to Telnyx."
        )
    if fit is None:
        return (
            "That requirement group is not one of this account's groups for "
            f"{sub_order.country_code} {sub_order.phone_number_type} numbers (refresh the page "
            "to see the current ones). Nothing was sent to Telnyx."
        )
    if not fit.attachable:
        return (
            f"That requirement group is {fit.group.status or 'of unknown status'}: only an "
            "approved group can be attached. Nothing was sent to Telnyx."
        )
    return None


def requirement_group_attach(
    *,
    sub_order: SubOrder,
    group_id: str,
    user: AbstractBaseUser,
    client: TelnyxClient | None = None,
) -> ActionDone:
    """Attaches a cached, approved group of the sub order's country and number type to the
    pending sub order at Telnyx, which fills in the values not yet approved; then the order is
    fetched again and cached.

    Raises ActionFailed, audited: refused without asking Telnyx (FORBIDDEN) when the sub order
    is not pending or the group does not fit; when Telnyx refuses or cannot be reached the
    cache is left as it was; when it does not say whether it attached, the order is fetched
    again.
    """
    path = f"/sub_number_orders/{sub_order.pk}/requirement_group"
    before = _open_values(sub_order)
    record = partial(
        audit_write,
        user=user,
        action=AuditEntry.Action.GROUP_ATTACH,
        order_id=sub_order.order_id,
        sub_order_id=sub_order.pk,
        sent=sent_request("POST", path, {"requirement_group_id": group_id}),
        before=before,
    )
    problem = _refusal(group_fit(sub_order=sub_order, group_id=group_id), sub_order)
    if problem:
        raise ActionFailed(problem, entry=record(outcome=AuditOutcome.FORBIDDEN))
    entry = record(outcome=AuditOutcome.PENDING)
    order_id = sub_order.order_id
    with audit_completed(entry), client_scope(client, interactive=True) as telnyx:
        try:
            telnyx.attach_requirement_group_to_sub_order(
                str(sub_order.pk), requirement_group_id=group_id
            )
        except TelnyxError as error:
            raise write_failed(
                entry, error, telnyx=telnyx, order_id=order_id, subject="sub order"
            ) from error
        try:
            order = order_reload(order_id=order_id, client=telnyx)
        except (TelnyxError, DatabaseError) as error:
            logger.warning("order %s: caching it after an attach failed: %s", order_id, error)
            order = None
        after = _open_values(sub_order) if order is not None else {}
        audit_complete(entry, outcome=AuditOutcome.SUCCESS, after=after)
    return ActionDone(entry=entry, order=order or sub_order.order, stored=order is not None)
