"""The one place that decides who may see or do what; every handler asks here."""

from __future__ import annotations

from enum import StrEnum

from storage.models import Role, TeamRole

STAFF_ROLES = frozenset(
    {
        Role.ACADEMIC_MENTOR,
        Role.COUNSELLOR,
        Role.CLASS_TEACHER,
        Role.COLLEGE_ADMIN,
        Role.SCHOOL_ADMIN,
        Role.PSYCH_CENTER,
        Role.CAREER_GUIDANCE,
    }
)
ADMIN_ROLES = frozenset({Role.COLLEGE_ADMIN, Role.SCHOOL_ADMIN})


def is_staff(roles: frozenset[str]) -> bool:
    return bool(roles & STAFF_ROLES)


def may_see_sensitive(roles: frozenset[str]) -> bool:
    """Categories, family, health, psychological and discipline details: staff only.

    Peer mentors are students: holding `peer_mentor` never grants sensitive access.
    """
    return is_staff(roles)


def may_receive_ledger(roles: frozenset[str]) -> bool:
    """The ledger goes only to admins (seed 001 §三.1)."""
    return bool(roles & ADMIN_ROLES)


def help_sections(roles: frozenset[str]) -> list[str]:
    """Which help sections a person sees, in display order."""
    order = [
        Role.SCHOOL_ADMIN,
        Role.COLLEGE_ADMIN,
        Role.COUNSELLOR,
        Role.CLASS_TEACHER,
        Role.ACADEMIC_MENTOR,
        Role.PSYCH_CENTER,
        Role.CAREER_GUIDANCE,
        Role.PEER_MENTOR,
        Role.STUDENT,
    ]
    return [str(role) for role in order if role in roles]


class View(StrEnum):
    """How much of a student's file a viewer may see."""

    FULL = "full"
    BASIC = "basic"  # name, class and dorm: what a peer mentor needs to find the student


def student_view(
    roles: frozenset[str], *, seats: frozenset[str], same_college: bool
) -> View | None:
    """`seats`: the viewer's seats in this student's 1+1+1 team (possibly none)."""
    if seats & {TeamRole.ACADEMIC_MENTOR, TeamRole.STUDENT_AFFAIRS}:
        return View.FULL
    if roles & {Role.SCHOOL_ADMIN, Role.PSYCH_CENTER}:
        return View.FULL
    if Role.COLLEGE_ADMIN in roles and same_college:
        return View.FULL
    if TeamRole.PEER_MENTOR in seats:
        return View.BASIC
    return None


def grants_wide_access(role: str) -> bool:
    """A role that sees students beyond its own teams (a college or the whole school) or
    administers others: a roster import that grants it needs the admin's confirmation."""
    view = student_view(frozenset({role}), seats=frozenset(), same_college=True)
    return role in ADMIN_ROLES or view is View.FULL


def may_log_visit(seats: frozenset[str]) -> bool:
    """Only members of the student's own team record visits."""
    return bool(seats)


def is_peer_only(roles: frozenset[str]) -> bool:
    """A peer mentor without any staff role: restricted kinds and views."""
    return Role.PEER_MENTOR in roles and not is_staff(roles)


def alert_recipient_roles() -> tuple[str, ...]:
    """Who hears of a safety risk at level 1, besides the student-affairs teacher."""
    return (Role.COLLEGE_ADMIN, Role.PSYCH_CENTER)


def may_trigger_reminders(roles: frozenset[str]) -> bool:
    """`发送今日提醒`: school admins for everyone, college admins for their college."""
    return bool(roles & ADMIN_ROLES)


def reminder_college(roles: frozenset[str], college: str | None) -> str | None:
    """Whose reminders an admin may trigger: None for the whole school, else one college
    (a college admin without a college reaches nobody: the empty name matches no student)."""
    return None if Role.SCHOOL_ADMIN in roles else (college or "")


def may_acknowledge_alert(roles: frozenset[str], *, received: bool) -> bool:
    """Only staff who were sent an alert may mark it handled."""
    return received and is_staff(roles)
