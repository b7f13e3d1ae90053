"""The one place that decides who may see or do what; every handler asks here."""

from __future__ import annotations

from storage.models import Role

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
MENTOR_ROLES = frozenset({Role.ACADEMIC_MENTOR, Role.COUNSELLOR, Role.CLASS_TEACHER})
ADMIN_ROLES = frozenset({Role.COLLEGE_ADMIN, Role.SCHOOL_ADMIN})

# Fields of a person a viewer may see; sensitive fields need a staff role on the team or above.
PUBLIC_PERSON_FIELDS = ("code", "name", "kind", "college", "class_name", "grade", "dorm")


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
