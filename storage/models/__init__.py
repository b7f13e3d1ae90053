"""SQLModel tables, one module per concept; all re-exported here so that Alembic and the
code see one metadata (`import storage.models` registers every table)."""

from storage.models.academic import AcademicWarning, CourseNature, Grade, WarningLevel
from storage.models.aid import (
    AidApplication,
    AidKind,
    AidPosting,
    AidStatus,
    ConcernReport,
    HelpRequest,
)
from storage.models.audit import AuditEntry, KeyCheck
from storage.models.care import CaseClosure, CaseFile, CaseProblem, VisitLog, WeeklyReport
from storage.models.careers import (
    JobApplication,
    JobPosting,
    Survey,
    SurveyAnswer,
    SurveyRecipient,
)
from storage.models.messaging import (
    ApiToken,
    ChannelHealth,
    Conversation,
    InboundMessage,
    OutboxMessage,
    OutboxStatus,
    PendingInbound,
)
from storage.models.outreach import Broadcast, BroadcastDelivery, BroadcastStatus, Subscription
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
from storage.models.work import WorkRequest, WorkStatus

__all__ = [
    "AcademicWarning",
    "AidApplication",
    "AidKind",
    "AidPosting",
    "AidStatus",
    "Alert",
    "AlertMessage",
    "AlertRecipient",
    "AlertStatus",
    "ApiToken",
    "Assignment",
    "AuditEntry",
    "Broadcast",
    "BroadcastDelivery",
    "BroadcastStatus",
    "CaseClosure",
    "CaseFile",
    "CaseProblem",
    "Category",
    "Channel",
    "ChannelHealth",
    "ConcernReport",
    "Conversation",
    "CourseNature",
    "Grade",
    "HelpRequest",
    "InboundMessage",
    "JobApplication",
    "JobPosting",
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
    "Subscription",
    "Survey",
    "SurveyAnswer",
    "SurveyRecipient",
    "TeamRole",
    "VisitLog",
    "WarningLevel",
    "WeeklyReport",
    "WorkRequest",
    "WorkStatus",
]
