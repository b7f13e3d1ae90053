"""`求助 内容`: a student's message goes 1:1 to their student-affairs teacher, who is named to
the student. Crisis words were already taken down the crisis path by the router's screening
(which runs before any command): such a message is not forwarded a second time."""

from __future__ import annotations

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.context import Context
from handlers.delivery import send_to_people
from handlers.envelopes import Inbound, Outbound, text
from handlers.safety import alerts
from messages.render import render
from storage.aid import applications
from storage.care import visits
from storage.models import HelpRequest, Person, Role, TeamRole
from storage.people.roles import people_with_role

LONGEST = 1000
"""Characters kept of one request (a messenger text is at most 2048 bytes anyway)."""


async def student_affairs_teacher(ctx: Context, student_id: int) -> Person | None:
    """The holder of the student's STUDENT_AFFAIRS seat in their 1+1+1 team."""
    return (await visits.team_of(ctx.session, student_id)).get(TeamRole.STUDENT_AFFAIRS)


async def who_answers(ctx: Context, student: Person) -> Person | None:
    """Who answers for a student (求助, 申请补助, 上报): their student-affairs teacher; for a
    student with no 1+1+1 team (most students), an admin of their college, else of the
    school. One person, so that the student can be told whom to expect."""
    assert student.id is not None
    teacher = await student_affairs_teacher(ctx, student.id)
    if teacher is not None:
        return teacher
    admins = await people_with_role(ctx.session, Role.COLLEGE_ADMIN, college=student.college)
    if not admins or not student.college:
        admins = await people_with_role(ctx.session, Role.SCHOOL_ADMIN)
    return await ctx.session.get(Person, admins[0]) if admins else None


async def ask_for_help(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    if not access.may_ask_for_help(who.person.kind):
        return [text(render("aid_students_only"))]
    whole = args.strip()
    message = whole[:LONGEST]
    if not message:
        return [text(render("aid_help_usage"))]
    if alerts.crisis_words_in(message, ctx.config.crisis_words):
        return []  # the screening's alert reached the teacher; its care reply is the answer
    teacher = await who_answers(ctx, who.person)
    if teacher is None or teacher.id is None:
        return [text(render("aid_help_no_teacher", hotline=ctx.config.hotline))]
    request = await applications.add_help_request(
        ctx.session,
        HelpRequest(
            student_id=who.person_id, teacher_id=teacher.id, text=message, created_at=ctx.now
        ),
    )
    notice = render("aid_help_notice", student=who.person, message=message)
    await send_to_people(
        ctx, person_ids=[teacher.id], message=text(notice), key=f"aid:help:{request.id}"
    )
    cut = LONGEST if len(whole) > LONGEST else 0  # the student is told what was kept
    reply = render("aid_help_sent", teacher=teacher.name, hotline=ctx.config.hotline, cut=cut)
    return [text(reply)]
