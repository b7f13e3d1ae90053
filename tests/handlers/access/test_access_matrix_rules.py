"""Who may see or do what, rule by rule: the table every handler's answer comes from."""

from __future__ import annotations

import pytest

from handlers.access import rules as access
from handlers.access.rules import View
from storage.models import Role, TeamRole

STAFF = (
    Role.ACADEMIC_MENTOR,
    Role.COUNSELLOR,
    Role.CLASS_TEACHER,
    Role.COLLEGE_ADMIN,
    Role.SCHOOL_ADMIN,
    Role.PSYCH_CENTER,
    Role.CAREER_GUIDANCE,
)
STUDENTS = (Role.PEER_MENTOR, Role.STUDENT)
NO_SEAT: frozenset[str] = frozenset()


def roles(*held: str) -> frozenset[str]:
    return frozenset(held)


@pytest.mark.parametrize("role", STAFF)
def test_every_staff_role_is_staff_and_sees_sensitive_details(role: str) -> None:
    assert access.is_staff(roles(role))
    assert access.may_see_sensitive(roles(role, Role.PEER_MENTOR))
    assert not access.is_peer_only(roles(role, Role.PEER_MENTOR))


@pytest.mark.parametrize("held", [(), (Role.STUDENT,), (Role.PEER_MENTOR,), STUDENTS])
def test_students_peer_mentors_included_never_see_sensitive_details(held: tuple[str]) -> None:
    assert not access.is_staff(roles(*held))
    assert not access.may_see_sensitive(roles(*held))


def test_only_a_peer_mentor_without_a_staff_role_is_peer_only() -> None:
    assert access.is_peer_only(roles(Role.PEER_MENTOR))
    assert access.is_peer_only(roles(Role.PEER_MENTOR, Role.STUDENT))
    assert not access.is_peer_only(roles(Role.STUDENT))
    assert not access.is_peer_only(roles())
    assert not access.is_peer_only(roles(Role.COUNSELLOR))


@pytest.mark.parametrize(
    ("held", "seats", "same_college", "view"),
    [
        # a seat in the student's own team decides first, whatever the roles
        ((Role.ACADEMIC_MENTOR,), {TeamRole.ACADEMIC_MENTOR}, False, View.FULL),
        ((Role.COUNSELLOR,), {TeamRole.STUDENT_AFFAIRS}, False, View.FULL),
        ((Role.PEER_MENTOR,), {TeamRole.PEER_MENTOR}, True, View.BASIC),
        ((Role.PEER_MENTOR,), {TeamRole.PEER_MENTOR, TeamRole.ACADEMIC_MENTOR}, True, View.FULL),
        # school-wide roles see every file
        ((Role.SCHOOL_ADMIN,), set(), False, View.FULL),
        ((Role.PSYCH_CENTER,), set(), False, View.FULL),
        ((Role.PSYCH_CENTER,), {TeamRole.PEER_MENTOR}, False, View.FULL),
        # a college admin sees their own college only
        ((Role.COLLEGE_ADMIN,), set(), True, View.FULL),
        ((Role.COLLEGE_ADMIN,), set(), False, None),
        ((Role.COLLEGE_ADMIN,), {TeamRole.PEER_MENTOR}, False, View.BASIC),
        # staff outside the team, and students, see nothing
        ((Role.COUNSELLOR,), set(), True, None),
        ((Role.ACADEMIC_MENTOR, Role.CLASS_TEACHER), set(), True, None),
        ((Role.CAREER_GUIDANCE,), set(), True, None),
        ((Role.STUDENT,), set(), True, None),
        ((Role.PEER_MENTOR,), set(), True, None),
    ],
)
def test_student_view(
    held: tuple[str], seats: set[str], same_college: bool, view: View | None
) -> None:
    got = access.student_view(roles(*held), seats=frozenset(seats), same_college=same_college)
    assert got is view


@pytest.mark.parametrize("seat", list(TeamRole))
def test_any_seat_in_the_team_may_log_a_visit_and_nobody_else(seat: str) -> None:
    assert access.may_log_visit(frozenset({seat}))
    assert not access.may_log_visit(NO_SEAT)


def test_the_ledger_and_todays_reminders_are_for_admins_only() -> None:
    for admin in (Role.COLLEGE_ADMIN, Role.SCHOOL_ADMIN):
        assert access.may_receive_ledger(roles(admin))
        assert access.may_trigger_reminders(roles(admin, Role.COUNSELLOR))
    for other in (*STAFF[:3], Role.PSYCH_CENTER, Role.CAREER_GUIDANCE, *STUDENTS):
        assert not access.may_receive_ledger(roles(other))
        assert not access.may_trigger_reminders(roles(other))


def test_whose_reminders_an_admin_triggers() -> None:
    school = roles(Role.SCHOOL_ADMIN, Role.COLLEGE_ADMIN)
    assert access.reminder_college(school, "计算机学院") is None
    assert access.reminder_college(roles(Role.COLLEGE_ADMIN), "计算机学院") == "计算机学院"
    # without a college the empty name matches no student: nobody, not everybody
    assert access.reminder_college(roles(Role.COLLEGE_ADMIN), None) == ""
    assert access.reminder_college(roles(Role.COLLEGE_ADMIN), "") == ""


def test_level_one_alerts_go_to_the_college_admin_and_the_psych_centre() -> None:
    assert access.alert_recipient_roles() == (Role.COLLEGE_ADMIN, Role.PSYCH_CENTER)


def test_only_staff_who_were_sent_an_alert_may_mark_it_handled() -> None:
    assert access.may_acknowledge_alert(roles(Role.COUNSELLOR), received=True)
    assert not access.may_acknowledge_alert(roles(Role.COUNSELLOR), received=False)
    assert not access.may_acknowledge_alert(roles(Role.PEER_MENTOR), received=True)
    assert not access.may_acknowledge_alert(roles(), received=False)


def test_help_sections_follow_the_display_order_and_only_roles_held() -> None:
    held = roles(Role.STUDENT, Role.PEER_MENTOR, Role.COUNSELLOR, Role.SCHOOL_ADMIN)
    assert access.help_sections(held) == ["school_admin", "counsellor", "peer_mentor", "student"]
    assert access.help_sections(roles()) == []
    every = access.help_sections(roles(*STAFF, *STUDENTS))
    assert every[:2] == ["school_admin", "college_admin"] and every[-1] == "student"
    assert len(every) == len(STAFF) + len(STUDENTS)
