"""`carebot ledger export` and `carebot casefile export`: the official files, for admins."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.casefile import casefile_app
from messages.render import render

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from bot.settings import Settings
    from handlers.context import Context
    from handlers.reports.ledger import Exporter


def _help(topic: str) -> str:
    return render("ledger_cli_help", topic=topic)


ledger_app = typer.Typer(no_args_is_help=True, help=_help("ledger"))
CHANNEL = "cli"


class Refused(Exception):
    """The exporter may not have this file (audited); the message key says why."""

    def __init__(self, key: str, **context: object) -> None:
        super().__init__(key)
        self.key, self.context = key, context


def register(app: typer.Typer) -> None:
    """Attach the ledger commands to the main CLI (casefile export sits on casefile_app)."""
    app.add_typer(ledger_app, name="ledger")


By = Annotated[str, typer.Option("--by", help=_help("--by"))]


@ledger_app.command("export", help=_help("ledger export"))
def ledger_export(
    semester: Annotated[str, typer.Option("--semester", help=_help("ledger export --semester"))],
    out: Annotated[Path, typer.Option("--out", help=_help("ledger export --out"))],
    by: By,
    college: Annotated[
        str | None, typer.Option("--college", help=_help("ledger export --college"))
    ] = None,
) -> None:
    """Write the semester's ledger to an .xlsx workbook."""

    async def work(ctx: Context, exporter: Exporter) -> tuple[bytes, str]:
        return await _ledger(ctx, exporter, semester=semester, college=college)

    count = _export(out, suffix=".xlsx", by=by, work=work)
    typer.echo(render("ledger_cli_exported", file=out, count=count))


@casefile_app.command("export", help=_help("casefile export"))
def casefile_export(
    code: Annotated[str, typer.Argument(help=_help("casefile export 学号"))],
    out: Annotated[Path, typer.Option("--out", help=_help("casefile export --out"))],
    by: By,
) -> None:
    """Write one student's 档案表 to a .docx document."""

    async def work(ctx: Context, exporter: Exporter) -> tuple[bytes, str]:
        return await _casefile(ctx, exporter, code=code)

    name = _export(out, suffix=".docx", by=by, work=work)
    typer.echo(render("export_cli_casefile_done", file=out, name=name))


Work = Callable[["Context", "Exporter"], Awaitable[tuple[bytes, str]]]


def _export(out: Path, *, suffix: str, by: str, work: Work) -> str:
    """Run `work` for the exporter named by `by`, write its bytes to `out`; what it reports."""
    from bot.cli.main import run_on_database, settings

    if out.suffix.lower() != suffix:
        typer.echo(render("export_cli_suffix", suffix=suffix), err=True)
        raise typer.Exit(2)
    try:
        data, said = run_on_database(_run(settings(), by=by, work=work))
    except Refused as refused:
        typer.echo(render(refused.key, **refused.context), err=True)
        raise typer.Exit(1) from None
    out.write_bytes(data)
    return said


async def _run(config: Settings, *, by: str, work: Work) -> tuple[bytes, str]:
    from bot.clock import SystemClock
    from bot.runtime import open_database
    from handlers.context import Context
    from storage.db import make_sessionmaker, session_scope

    async with open_database(config) as engine:
        sessions = make_sessionmaker(engine)
        refusal: Refused | None = None
        actor: int | None = None
        async with session_scope(sessions) as session:
            ctx = Context(session, SystemClock().now(), config.handler_config(()))
            try:
                exporter = await _exporter(session, by)
                actor = exporter.person_id
                return await work(ctx, exporter)
            except Refused as refused:
                refusal = refused
        # audited in a transaction of its own: nothing of the refused work is kept
        async with session_scope(sessions) as session:
            await _audit_refusal(session, refusal, actor=actor, by=by, now=SystemClock().now())
        raise refusal


async def _audit_refusal(
    session: AsyncSession, refusal: Refused, *, actor: int | None, by: str, now: datetime
) -> None:
    from storage import audit

    await audit.record(
        session,
        action="denied_export",
        at=now,
        actor_id=actor,
        channel=CHANNEL,
        detail=f"{refusal.key} by={by}",
    )


async def _exporter(session: AsyncSession, code: str) -> Exporter:
    from handlers.reports.ledger import exporter_of
    from storage.people.queries import find_by_code
    from storage.people.roles import roles_of

    person = await find_by_code(session, code)
    if person is None or person.id is None:
        raise Refused("export_cli_unknown_person", code=code)
    roles = (await roles_of(session, [person.id])).get(person.id, frozenset())
    return exporter_of(person, roles)


async def _ledger(
    ctx: Context, exporter: Exporter, *, semester: str, college: str | None
) -> tuple[bytes, str]:
    from handlers.access.rules import may_export
    from handlers.policy.calendar import semester_named
    from handlers.reminders.rules import policy_of
    from handlers.reports.ledger import ledger_college, ledger_file
    from storage import audit

    college = ledger_college(exporter, named=college)
    if not may_export(exporter.roles, college=college, own_college=exporter.college):
        raise Refused("export_denied")
    found = semester_named(semester, policy_of(ctx))
    if found is None:
        raise Refused("ledger_unknown_semester")
    data, count = await ledger_file(ctx, exporter, semester=found, college=college)
    detail = f"semester={found.name} college={college or '*'} students={count}"
    await audit.record(
        ctx.session,
        action="export_ledger",
        at=ctx.now,
        actor_id=exporter.person_id,
        channel=CHANNEL,
        detail=detail,
    )
    return data, str(count)


async def _casefile(ctx: Context, exporter: Exporter, *, code: str) -> tuple[bytes, str]:
    from handlers.access.rules import may_export
    from handlers.reports.casefile_export import casefile_file
    from storage import audit
    from storage.people.queries import find_by_code

    student = await find_by_code(ctx.session, code)
    college = student.college if student else None
    # the same refusal whether the student exists or not, for whoever may not see them
    if not may_export(exporter.roles, college=college, own_college=exporter.college):
        raise Refused("export_denied")
    if student is None or student.id is None or student.kind != "student":
        raise Refused("export_student_not_found", token=code)
    data = await casefile_file(ctx, exporter, student_id=student.id)
    assert data is not None
    await audit.record(
        ctx.session,
        action="export_casefile",
        at=ctx.now,
        actor_id=exporter.person_id,
        channel=CHANNEL,
        subject_id=student.id,
    )
    return data, student.name
