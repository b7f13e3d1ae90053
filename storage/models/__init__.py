"""SQLModel tables, one module per concept; all re-exported here so that Alembic and the
code see one metadata (`import storage.models` registers every table)."""

from storage.models.audit import AuditEntry, KeyCheck
from storage.models.care import CaseFile, VisitLog, WeeklyReport
from storage.models.messaging import (
    ApiToken,
    ChannelHealth,
    Conversation,
    InboundMessage,
    OutboxMessage,
    OutboxStatus,
    PendingInbound,
)
from storage.models.people import (
    Assignment,
    Category,
    Channel,
    MessengerAccount,
    Person,
    PersonKind,
    PersonRole,
    Role,
    StudentCategory,
    TeamRole,
)
from storage.models.reminders import ReminderLog
from storage.models.safety import Alert, AlertMessage, AlertRecipient, AlertStatus

__all__ = [
    "Alert",
    "AlertMessage",
    "AlertRecipient",
    "AlertStatus",
    "ApiToken",
    "Assignment",
    "AuditEntry",
    "CaseFile",
    "Category",
    "Channel",
    "ChannelHealth",
    "Conversation",
    "InboundMessage",
    "KeyCheck",
    "MessengerAccount",
    "OutboxMessage",
    "OutboxStatus",
    "PendingInbound",
    "Person",
    "PersonKind",
    "PersonRole",
    "ReminderLog",
    "Role",
    "StudentCategory",
    "TeamRole",
    "VisitLog",
    "WeeklyReport",
]
