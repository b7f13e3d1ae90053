"""The one place that decides who may see or do what; every handler asks here. The reach of
each role for each action is the table in handlers/access/matrix.py; the rules read it."""

from __future__ import annotations

from enum import StrEnum

from handlers.access import matrix
from handlers.access.matrix import Action
from storage.models import PersonKind, Role, TeamRole
from storage.outreach.audience import Scope

STAFF_ROLES = frozenset(matrix.ROLES) - {Role.STUDENT, Role.PEER_MENTOR}
"""The matrix's roles a member of staff holds (a peer mentor is a student)."""
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
    return matrix.allowed(roles, Action.EXPORT_LEDGER) > matrix.Scope.NONE


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
        Role.PSYCH_COMMITTEE,
        Role.DORM_HEAD,
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
    if matrix.reaches(roles, Action.VIEW_SENSITIVE, seats=seats, same_college=same_college):
        return View.FULL
    if matrix.reaches(roles, Action.VIEW_BASIC, seats=seats, same_college=same_college):
        return View.BASIC
    return None


def grants_wide_access(role: str) -> bool:
    """A role that sees students beyond its own teams (a college or the whole school) or
    administers others: a roster import that grants it needs the admin's confirmation."""
    view = student_view(frozenset({role}), seats=frozenset(), same_college=True)
    return role in ADMIN_ROLES or view is View.FULL


def may_log_visit(seats: frozenset[str]) -> bool:
    """Only members of the student's own team record visits."""
    return bool(seats & matrix.seats_for(Action.LOG_VISIT))


def may_edit_case_file(seats: frozenset[str]) -> bool:
    """档案 sections, 摸排 and 恢复建档's counterpart: only the student's student-affairs
    teacher writes the case file (others with a full view read it)."""
    return bool(seats & matrix.seats_for(Action.EDIT_CASE_FILE))


def may_propose_closing(roles: frozenset[str], *, seats: frozenset[str]) -> bool:
    """`建议撤销建档`: a staff member on the student's team (academic mentor or student-affairs
    teacher); never a peer mentor."""
    return is_staff(roles) and bool(seats & matrix.seats_for(Action.PROPOSE_CLOSING))


def may_decide_closing(roles: frozenset[str], *, seats: frozenset[str], same_college: bool) -> bool:
    """`批准` / `驳回` a closing proposal and `恢复建档`: the student's student-affairs teacher
    (their own proposal too: proposing and approving are two deliberate steps), or an admin
    of the student's college or the school (when the seat is empty or the teacher away)."""
    return matrix.reaches(roles, Action.APPROVE_CLOSING, seats=seats, same_college=same_college)


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


def broadcast_scope(roles: frozenset[str], *, person_id: int, college: str | None) -> Scope:
    """Whom a person may broadcast to: a school admin everyone, a college admin their college,
    a counsellor or class teacher the students whose student-affairs teacher they are;
    anyone else nobody (`Scope().nobody`)."""
    return _audience(roles, Action.BROADCAST, person_id=person_id, college=college)


def _audience(
    roles: frozenset[str], action: Action, *, person_id: int, college: str | None
) -> Scope:
    """The widest audience the matrix gives for `action` that applies: OWN_COLLEGE needs a
    college on file; OWN_STUDENTS are those whose student-affairs teacher the person is."""
    held = matrix.held(roles, action)
    if matrix.Scope.ALL in held:
        return Scope(everyone=True)
    if matrix.Scope.OWN_COLLEGE in held and college:
        return Scope(college=college)
    if matrix.Scope.OWN_STUDENTS in held:
        return Scope(student_affairs_of=person_id)
    return Scope()


def may_approve_broadcast(roles: frozenset[str], *, own: bool, same_college: bool) -> bool:
    """A large broadcast needs a second admin: a school admin, or an admin of the sender's
    college, who is not the sender."""
    if own:
        return False
    scope = matrix.allowed(roles, Action.APPROVE_BROADCAST)
    return scope is matrix.Scope.ALL or (scope is matrix.Scope.OWN_COLLEGE and same_college)


def may_publish_jobs(roles: frozenset[str]) -> bool:
    """`发布岗位` and the jobs import: employment officers (就业指导) and admins."""
    return matrix.allowed(roles, Action.PUBLISH_JOBS) > matrix.Scope.NONE


def may_push_job(roles: frozenset[str], *, published_it: bool) -> bool:
    """Pushing a posting to students: its publisher, or a school admin or employment officer
    for a posting nobody published in the chat (imported)."""
    if not may_publish_jobs(roles):
        return False
    return published_it or matrix.allowed(roles, Action.PUBLISH_JOBS) is matrix.Scope.ALL


def job_push_scope(roles: frozenset[str], *, college: str | None) -> Scope:
    """Whom a posting may be pushed to: the whole school for employment officers and school
    admins, their college for a college admin (none without one)."""
    return _audience(roles, Action.PUBLISH_JOBS, person_id=0, college=college)


def may_apply_for_job(kind: str) -> bool:
    """`报名`: students only (staff browse postings but do not apply)."""
    return kind == PersonKind.STUDENT


def may_follow_broadcast(roles: frozenset[str], *, own: bool) -> bool:
    """群发状态 / 催办 / 撤回 / 群发记录 of a broadcast: its sender, or a school admin."""
    return own or Role.SCHOOL_ADMIN in roles


def may_ask_for_help(kind: str) -> bool:
    """`求助`: students write to their own student-affairs teacher."""
    return kind == PersonKind.STUDENT


def may_apply_for_aid(kind: str) -> bool:
    """`申请补助`: students only; it goes to their student-affairs teacher alone."""
    return kind == PersonKind.STUDENT


def may_decide_aid(person_id: int, *, routed_to: int | None) -> bool:
    """An aid application is decided (and read) only by the teacher it was routed to: never
    by peers, peer mentors or anyone else on the team."""
    return routed_to is not None and person_id == routed_to


def aid_scope(roles: frozenset[str], *, person_id: int, college: str | None) -> Scope:
    """`发布资助`: admins and counsellors / class teachers, for the students they may
    broadcast to (the whole school, their college, or the students whose 学工教师 they are)."""
    return _audience(roles, Action.PUBLISH_AID, person_id=person_id, college=college)


def survey_scope(roles: frozenset[str], *, person_id: int, college: str | None) -> Scope:
    """Whom a person may send a survey to: employment officers the whole school (the
    employment surveys are theirs), everyone else as for a broadcast."""
    return _audience(roles, Action.RUN_SURVEYS, person_id=person_id, college=college)


def may_see_survey_results(roles: frozenset[str], *, sent_it: bool) -> bool:
    """`调查结果 N` and the export: the sender, school admins and employment officers."""
    return sent_it or matrix.allowed(roles, Action.RUN_SURVEYS) is matrix.Scope.ALL


NETWORK_ROLES = frozenset({Role.PSYCH_COMMITTEE, Role.DORM_HEAD})


def is_network_member(roles: frozenset[str]) -> bool:
    """A class's 心理委员 or a dorm's 寝室长: the four-level network, who may 上报."""
    return bool(roles & NETWORK_ROLES)


"""The class and dorm level of the four-level network (学校-学院-班级-宿舍)."""


def may_report_concern(roles: frozenset[str], *, same_class: bool, same_dorm: bool) -> bool:
    """`上报`: a 心理委员 about a classmate, a 寝室长 about a dorm-mate. They see nothing of
    the ledger or of anyone's category: the report only goes to the student's counsellor."""
    if Role.PSYCH_COMMITTEE in roles and same_class:
        return True
    return Role.DORM_HEAD in roles and same_dorm


ACADEMIC_WARNING_SEATS = frozenset({TeamRole.ACADEMIC_MENTOR, TeamRole.STUDENT_AFFAIRS})


def receives_academic_warning(seat: str, *, staff: bool) -> bool:
    """学业预警 goes to the student's academic mentor and student-affairs teacher; never to the
    peer mentor, nor to any student holding a seat."""
    return staff and seat in ACADEMIC_WARNING_SEATS


def may_export(
    roles: frozenset[str],
    *,
    college: str | None,
    own_college: str | None,
    action: Action = Action.EXPORT_LEDGER,
) -> bool:
    """The ledger and the 档案表 (their rows in the matrix are one): a school admin anything, a
    college admin their own college only (`college`: the ledger's or the student's; None for
    the whole school); anyone else nothing (seed 001 §三.1)."""
    scope = matrix.allowed(roles, action)
    if scope is matrix.Scope.ALL:
        return True
    return scope is matrix.Scope.OWN_COLLEGE and bool(own_college) and college == own_college


def may_see_stats(roles: frozenset[str], *, college: str | None, own_college: str | None) -> bool:
    """统计 (categories are sensitive): the same reach as the ledger: a school admin the school
    or any college, a college admin their own college only (`college` None: the whole school)."""
    return may_export(roles, college=college, own_college=own_college, action=Action.STATISTICS)


def stats_college(
    roles: frozenset[str], *, asked: str | None, own_college: str | None
) -> str | None:
    """Which college 统计 without a name means: a college admin's own, the school for a school
    admin (None); a named one stays as asked."""
    if asked is not None or Role.SCHOOL_ADMIN in roles:
        return asked
    return own_college
