"""The orders app's models, a module per job; import them from here."""

from orders.models.audit import AuditEntry, AuditOutcome
from orders.models.bulk import BulkFix, BulkFixItem, BulkFixStatus, ItemState
from orders.models.cache import (
    REQUIREMENTS_CANCELLED,
    FieldType,
    Order,
    PhoneNumber,
    RequirementDefinition,
    RequirementValue,
    Status,
    SubOrder,
    ValueStatus,
)
from orders.models.paperwork import (
    Address,
    Comment,
    CommenterType,
    Document,
    DocumentStatus,
    RequirementGroup,
)
from orders.models.preferences import UserPreference
from orders.models.queue import (
    QueueDeadlineHour,
    QueueDerived,
    QueueGroupRow,
    QueueSlice,
    QueueTally,
    QueueValue,
)
from orders.models.sync import Lease, SyncRun

__all__ = [
    "REQUIREMENTS_CANCELLED",
    "Address",
    "AuditEntry",
    "AuditOutcome",
    "BulkFix",
    "BulkFixItem",
    "BulkFixStatus",
    "Comment",
    "CommenterType",
    "Document",
    "DocumentStatus",
    "FieldType",
    "ItemState",
    "Lease",
    "Order",
    "PhoneNumber",
    "QueueDeadlineHour",
    "QueueDerived",
    "QueueGroupRow",
    "QueueSlice",
    "QueueTally",
    "QueueValue",
    "RequirementDefinition",
    "RequirementGroup",
    "RequirementValue",
    "Status",
    "SubOrder",
    "SyncRun",
    "UserPreference",
    "ValueStatus",
]
