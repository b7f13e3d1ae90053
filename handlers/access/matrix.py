"""The access matrix as data: for each action, how far each role reaches. handlers/access/rules.py
reads it; docs/access.md is its rendering (`python -m handlers.access.matrix_doc`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntEnum, StrEnum

from storage.models import Role, TeamRole


class Action(StrEnum):
    """What a person may ask for in the chat (issue 14's list, in its order)."""

    VIEW_BASIC = "view_basic"
    VIEW_SENSITIVE = "view_sensitive"
    LOG_VISIT = "log_visit"
    READ_LOGS = "read_logs"
    EDIT_CASE_FILE = "edit_case_file"
    PROPOSE_CLOSING = "propose_closing"
    APPROVE_CLOSING = "approve_closing"
    BROADCAST = "broadcast"
    APPROVE_BROADCAST = "approve_broadcast"
    EXPORT_LEDGER = "export_ledger"
    EXPORT_CASE_FILE = "export_case_file"
    STATISTICS = "statistics"
    HANDLE_ALERTS = "handle_alerts"
    PUBLISH_JOBS = "publish_jobs"
    PUBLISH_AID = "publish_aid"
    REVIEW_AID = "review_aid"
    RUN_SURVEYS = "run_surveys"


class Scope(IntEnum):
    """How far a role reaches for one action; a wider scope includes the narrower ones."""

    NONE = 0
    OWN_STUDENTS = 1
    """The students whose 1+1+1 team seat the person holds (SEAT_HOLDERS)."""
    OWN_COLLEGE = 2
    ALL = 3


ROLES: tuple[Role, ...] = (
    Role.STUDENT,
    Role.PEER_MENTOR,
    Role.ACADEMIC_MENTOR,
    Role.COUNSELLOR,
    Role.CLASS_TEACHER,
    Role.COLLEGE_ADMIN,
    Role.SCHOOL_ADMIN,
    Role.PSYCH_CENTER,
    Role.CAREER_GUIDANCE,
)
"""The matrix's columns; a role not listed (心理委员, 寝室长) reaches nothing here."""

SEAT_HOLDERS: Mapping[TeamRole, frozenset[Role]] = {
    TeamRole.PEER_MENTOR: frozenset({Role.PEER_MENTOR}),
    TeamRole.ACADEMIC_MENTOR: frozenset({Role.ACADEMIC_MENTOR}),
    TeamRole.STUDENT_AFFAIRS: frozenset({Role.COUNSELLOR, Role.CLASS_TEACHER}),
}
"""Which roles sit in which seat: a seat reaches its student for the actions where its roles
reach OWN_STUDENTS, whatever roles the seated person holds."""

_ = Scope.NONE
OWN, COLLEGE, ALL = Scope.OWN_STUDENTS, Scope.OWN_COLLEGE, Scope.ALL

# Columns in ROLES order: student, peer, academic mentor, counsellor, class teacher,
# college admin, school admin, psychological centre, employment officer.
_ROWS: dict[Action, tuple[Scope, ...]] = {
    Action.VIEW_BASIC: (_, OWN, OWN, OWN, OWN, COLLEGE, ALL, ALL, _),
    Action.VIEW_SENSITIVE: (_, _, OWN, OWN, OWN, COLLEGE, ALL, ALL, _),
    Action.LOG_VISIT: (_, OWN, OWN, OWN, OWN, _, _, _, _),
    Action.READ_LOGS: (_, OWN, OWN, OWN, OWN, COLLEGE, ALL, ALL, _),
    Action.EDIT_CASE_FILE: (_, _, _, OWN, OWN, _, _, _, _),
    Action.PROPOSE_CLOSING: (_, _, OWN, OWN, OWN, _, _, _, _),
    Action.APPROVE_CLOSING: (_, _, _, OWN, OWN, COLLEGE, ALL, _, _),
    Action.BROADCAST: (_, _, _, OWN, OWN, COLLEGE, ALL, _, _),
    Action.APPROVE_BROADCAST: (_, _, _, _, _, COLLEGE, ALL, _, _),
    Action.EXPORT_LEDGER: (_, _, _, _, _, COLLEGE, ALL, _, _),
    Action.EXPORT_CASE_FILE: (_, _, _, _, _, COLLEGE, ALL, _, _),
    Action.STATISTICS: (_, _, _, _, _, COLLEGE, ALL, _, _),
    Action.HANDLE_ALERTS: (_, _, _, OWN, OWN, COLLEGE, ALL, ALL, _),
    Action.PUBLISH_JOBS: (_, _, _, _, _, COLLEGE, ALL, _, ALL),
    Action.PUBLISH_AID: (_, _, _, OWN, OWN, COLLEGE, ALL, _, _),
    Action.REVIEW_AID: (_, _, _, OWN, OWN, _, _, _, _),
    Action.RUN_SURVEYS: (_, _, _, OWN, OWN, COLLEGE, ALL, _, ALL),
}

MATRIX: Mapping[Action, Mapping[str, Scope]] = {
    action: dict(zip(ROLES, row, strict=True)) for action, row in _ROWS.items()
}


def allowed(roles: Iterable[str], action: Action) -> Scope:
    """The widest scope any of the person's roles has for `action`."""
    row = MATRIX[action]
    return max((row[role] for role in roles if role in row), default=Scope.NONE)


def held(roles: Iterable[str], action: Action) -> frozenset[Scope]:
    """Every scope the person's roles give for `action` (NONE left out): a wide scope that
    cannot apply (a college admin without a college) falls back on a narrower one."""
    row = MATRIX[action]
    return frozenset(row[role] for role in roles if role in row) - {Scope.NONE}


def seats_for(action: Action) -> frozenset[TeamRole]:
    """The team seats that reach their own student for `action`."""
    return frozenset(
        seat for seat, holders in SEAT_HOLDERS.items() if allowed(holders, action) >= OWN
    )


def reaches(
    roles: Iterable[str], action: Action, *, seats: frozenset[str], same_college: bool
) -> bool:
    """Whether the person may do `action` about one student: through a seat in the student's
    team, their college (OWN_COLLEGE) or the whole school (ALL)."""
    scope = allowed(roles, action)
    if scope is Scope.ALL or (scope is Scope.OWN_COLLEGE and same_college):
        return True
    return bool(seats & seats_for(action))
