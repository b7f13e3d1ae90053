"""`导出台账 [学期] [学院]`: the semester's ledger (seed 001 附件1), for admins only; built off
the chat by the work runner, on the reader, and sent as a file to the admin who asked."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import select

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.context import Context
from handlers.envelopes import Inbound, Outbound, text
from handlers.policy.calendar import latest_semesters, period_bounds, semester_at, semester_named
from handlers.policy.model import Policy, Semester
from handlers.reminders.rules import policy_of
from handlers.reports.exports_commands import EXPORT_LEDGER
from messages.render import render
from storage import audit, work
from storage.exports.watermark import watermark
from storage.models import Person
from storage.people.roles import roles_of
from storage.reports.ledger_cells import LedgerHead
from storage.reports.ledger_rows import LedgerScope, ledger_workbook


@dataclass(frozen=True, slots=True)
class Exporter:
    """Who asks for an export, as the access rule and the watermark need them."""

    person_id: int
    name: str
    code: str
    roles: frozenset[str]
    college: str | None


def exporter_of(person: Person, roles: frozenset[str]) -> Exporter:
    assert person.id is not None
    return Exporter(person.id, person.name, person.code, roles, person.college)


async def denied(ctx: Context, who: Exporter, *, action: str, **audited: Any) -> list[Outbound]:
    """无权限, audited: the same words whatever was asked for and whether it exists."""
    await audit.record(ctx.session, action=action, at=ctx.now, actor_id=who.person_id, **audited)
    return [text(render("export_denied"))]


def default_semester(day: date, policy: Policy) -> Semester | None:
    """The semester `day` falls in; in a vacation, the one just ended."""
    current = semester_at(day, policy)
    return current or next(iter(latest_semesters(day, policy, count=1)), None)


async def export_ledger(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    exporter = exporter_of(who.person, who.roles)
    if not access.may_receive_ledger(who.roles):
        return await denied(ctx, exporter, action="denied_export_ledger", channel=inbound.channel)
    policy, day = policy_of(ctx), ctx.now.astimezone(ctx.config.tz).date()
    semester, named_college = default_semester(day, policy), None
    for token in args.split():
        found = semester_named(token, policy)
        if found is None and named_college is None:
            named_college = token
        elif found is None:
            return [text(render("ledger_usage"))]
        semester = found or semester
    college = ledger_college(exporter, named=named_college)
    if not access.may_export(who.roles, college=college, own_college=who.person.college):
        detail = f"college={college or '*'}"
        return await denied(
            ctx, exporter, action="denied_export_ledger", channel=inbound.channel, detail=detail
        )
    if semester is None:
        return [text(render("ledger_unknown_semester"))]
    if college is not None and not await _college_exists(ctx, college):
        return [text(render("ledger_unknown_college", college=college))]
    wanted = {"semester": semester.name, "college": college, "channel": inbound.channel}
    await work.request(
        ctx.session, kind=EXPORT_LEDGER, requested_by=who.person_id, args=wanted, now=ctx.now
    )
    return [text(render("ledger_queued", semester=semester.name, college=college))]


def ledger_college(exporter: Exporter, *, named: str | None) -> str | None:
    """The college a ledger is for: the one named, else the whole school for those who may
    have it, else the exporter's own college."""
    if named is not None:
        return named
    school_wide = access.may_export(exporter.roles, college=None, own_college=None)
    return None if school_wide else exporter.college


async def _college_exists(ctx: Context, college: str) -> bool:
    query = select(Person.id).where(Person.college == college).limit(1)
    return (await ctx.session.exec(query)).first() is not None


async def ledger_file(
    ctx: Context, exporter: Exporter, *, semester: Semester, college: str | None
) -> tuple[bytes, int]:
    """The ledger's bytes and student count, built on the reader (also for the CLI)."""
    policy, tz = policy_of(ctx), ctx.config.tz
    bounds = period_bounds(semester.start, "semester", policy=policy, tz=tz)
    assert bounds is not None  # a semester's first day lies in it
    scope = LedgerScope(semester.name, bounds[0], bounds[1], college, tz)
    local = ctx.now.astimezone(tz)
    mark = watermark(name=exporter.name, code=exporter.code, at=local)
    head = LedgerHead(year=semester.start.year, today=local.date(), watermark=mark, tz=tz)
    return await ctx.read(lambda session: ledger_workbook(session, scope, head))


async def ledger_now(
    ctx: Context, args: dict[str, Any], requested_by: int | None
) -> list[Outbound]:
    """The work `导出台账` asked for: the file, to the admin who asked, and an audit row."""
    exporter = await stored_exporter(ctx, requested_by)
    college, channel = args.get("college"), args.get("channel")
    semester = semester_named(str(args["semester"]), policy_of(ctx))
    allowed = exporter is not None and access.may_export(
        exporter.roles, college=college, own_college=exporter.college
    )
    if exporter is None or not allowed or semester is None:
        await audit.record(ctx.session, action="denied_export_ledger", at=ctx.now,
                           actor_id=requested_by, channel=channel)  # fmt: skip
        return [text(render("export_denied"))]
    data, count = await ledger_file(ctx, exporter, semester=semester, college=college)
    await audit.record(
        ctx.session,
        action="export_ledger",
        at=ctx.now,
        actor_id=exporter.person_id,
        channel=channel,
        detail=f"semester={semester.name} college={college or '*'} students={count}",
    )
    title = render("ledger_file_name", semester=semester.name, college=college).strip()
    return [
        file_message(title, data),
        text(render("ledger_ready", semester=semester.name, college=college, count=count)),
    ]


def file_message(title: str, data: bytes) -> Outbound:
    """A file for one person, confidential where the platform can mark it so."""
    encoded = base64.b64encode(data).decode("ascii")
    return Outbound(kind="file", title=title, text=encoded, confidential=True)


async def stored_exporter(ctx: Context, person_id: int | None) -> Exporter | None:
    """The requester as they are now: their roles may have changed since they asked."""
    person = await ctx.session.get(Person, person_id) if person_id is not None else None
    if person is None or person.id is None:
        return None
    roles = (await roles_of(ctx.session, [person.id])).get(person.id, frozenset())
    return exporter_of(person, roles)
