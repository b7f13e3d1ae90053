"""Which student a case-file command names, and what the person may do with the file: the
student is found as `查看` finds one (handlers/care/students.py); the file needs a full view."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.access.rules import View
from handlers.care.students import find_student
from handlers.care.visit_form import seats_for
from handlers.context import Context
from handlers.envelopes import Outbound, text
from messages.render import render
from storage import audit
from storage.models import Person, PersonKind


@dataclass(frozen=True, slots=True)
class Target:
    """A student whose file the person may read, with the person's seats in the team."""

    student: Person
    seats: frozenset[str]
    same_college: bool

    @property
    def student_id(self) -> int:
        assert self.student.id is not None
        return self.student.id


async def refuse(
    ctx: Context, who: Identity, *, action: str, student_id: int | None
) -> list[Outbound]:
    """无权限, audited (never with what the file holds)."""
    await audit.record(
        ctx.session, action=action, at=ctx.now, actor_id=who.person_id, subject_id=student_id
    )
    return [text(render("case_no_permission"))]


async def by_name(ctx: Context, who: Identity, token: str) -> Target | list[Outbound]:
    """The student `token` names, when the person may read their case file; else the reply
    (无权限 for students and peer mentors, who never read a case file)."""
    if not access.may_see_sensitive(who.roles):
        return await refuse(ctx, who, action="denied_case_file", student_id=None)
    # 查看's "not among the students you may see" (audited when the student is real) is said
    # as 无权限 here, still without telling whether the student exists.
    found = await find_student(ctx, who, token, outside="case_not_in_scope")
    if isinstance(found, list):
        return found
    student, view = found
    return await _target(ctx, who, student, view)


async def by_id(ctx: Context, who: Identity, student_id: int) -> Target | list[Outbound]:
    """The same decision for a student a button names by id."""
    student = await ctx.session.get(Person, student_id)
    if student is None or student.kind != PersonKind.STUDENT:
        return await refuse(ctx, who, action="denied_case_file", student_id=None)
    seats = await seats_for(who, ctx.session, student_id)
    view = access.student_view(who.roles, seats=seats, same_college=_same_college(who, student))
    if not access.may_see_sensitive(who.roles) or view is None:
        return await refuse(ctx, who, action="denied_case_file", student_id=student_id)
    return await _target(ctx, who, student, view)


async def _target(
    ctx: Context, who: Identity, student: Person, view: View
) -> Target | list[Outbound]:
    if view is not View.FULL or student.id is None:
        return await refuse(ctx, who, action="denied_case_file", student_id=student.id)
    seats = await seats_for(who, ctx.session, student.id)
    return Target(student, seats, _same_college(who, student))


def _same_college(who: Identity, student: Person) -> bool:
    # A college admin whose college is not on file has no college, not "the empty one".
    return bool(who.person.college) and student.college == who.person.college
