"""`档案表 张三` (or 学号): a student's case file (seed 001 附件2) as a docx, for the admins of
the student's college and the school; built by the work runner and sent to the admin alone."""

from __future__ import annotations

from typing import Any

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.care.visit_form import student_choice
from handlers.context import Context
from handlers.envelopes import Inbound, Outbound, text
from handlers.reports.exports_commands import EXPORT_CASEFILE
from handlers.reports.ledger import (
    Exporter,
    denied,
    exporter_of,
    file_message,
    stored_exporter,
)
from messages.render import render
from storage import audit, work
from storage.care import visits
from storage.exports.watermark import watermark
from storage.models import Person
from storage.reports.casefile_rows import CaseFileHead, casefile_document

DENIED = "denied_export_casefile"


async def export_casefile(
    inbound: Inbound, who: Identity, ctx: Context, args: str
) -> list[Outbound]:
    exporter = exporter_of(who.person, who.roles)
    if not access.may_receive_ledger(who.roles):
        return await denied(ctx, exporter, action=DENIED, channel=inbound.channel)
    token = args.strip()
    if not token:
        return [text(render("export_casefile_usage"))]
    named = list(await visits.students_named(ctx.session, token))
    visible = [person for person in named if _may(exporter, person)]
    if not visible:
        return await _unseen(ctx, exporter, named=named, token=token, channel=inbound.channel)
    if len(visible) > 1:
        labels = [f"{student_choice(p).label} {p.code}" for p in visible]
        return [text(render("export_casefile_ambiguous", names=labels))]
    student = visible[0]
    wanted = {"student_id": student.id, "channel": inbound.channel}
    await work.request(
        ctx.session, kind=EXPORT_CASEFILE, requested_by=who.person_id, args=wanted, now=ctx.now
    )
    return [text(render("export_casefile_queued", name=student.name))]


async def _unseen(
    ctx: Context, exporter: Exporter, *, named: list[Person], token: str, channel: str
) -> list[Outbound]:
    """Other colleges' students and students who do not exist get the same answer; a school
    admin sees everyone, so for them nobody by that name exists."""
    if not named and access.may_export(exporter.roles, college=None, own_college=None):
        return [text(render("export_student_not_found", token=token))]
    for subject in [person.id for person in named] or [None]:
        await audit.record(ctx.session, action=DENIED, at=ctx.now, actor_id=exporter.person_id,
                           channel=channel, subject_id=subject)  # fmt: skip
    return [text(render("export_denied"))]


def _may(exporter: Exporter, student: Person) -> bool:
    return access.may_export(exporter.roles, college=student.college, own_college=exporter.college)


async def casefile_now(
    ctx: Context, args: dict[str, Any], requested_by: int | None
) -> list[Outbound]:
    """The work `档案表` asked for: the document, to the admin who asked, and an audit row."""
    exporter = await stored_exporter(ctx, requested_by)
    student = await ctx.session.get(Person, int(args["student_id"]))
    channel = args.get("channel")
    if exporter is None or student is None or not _may(exporter, student):
        await audit.record(
            ctx.session,
            action=DENIED,
            at=ctx.now,
            actor_id=requested_by,
            channel=channel,
            subject_id=student.id if student else None,
        )
        return [text(render("export_denied"))]
    data = await casefile_file(ctx, exporter, student_id=int(args["student_id"]))
    assert data is not None  # the student was just read
    await audit.record(
        ctx.session,
        action="export_casefile",
        at=ctx.now,
        actor_id=exporter.person_id,
        channel=channel,
        subject_id=student.id,
    )
    title = render("export_casefile_file_name", name=student.name, code=student.code).strip()
    return [file_message(title, data), text(render("export_casefile_ready", name=student.name))]


async def casefile_file(ctx: Context, exporter: Exporter, *, student_id: int) -> bytes | None:
    """The 档案表's bytes, built on the reader (also for the CLI)."""
    local = ctx.now.astimezone(ctx.config.tz)
    mark = watermark(name=exporter.name, code=exporter.code, at=local)
    head = CaseFileHead(ctx.now, ctx.config.tz, mark)
    return await ctx.read(lambda session: casefile_document(session, student_id, head))
