"""CLI commands for the roster: `carebot roster import` and `carebot roster template`."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.help import help_for

if TYPE_CHECKING:  # the storage stack loads only when a roster command runs
    from bot.settings import Settings
    from storage.roster.importer import Approval, ImportReport, Source
    from storage.roster.sheet import Progress

roster_app = typer.Typer(no_args_is_help=True, help=help_for("roster"))
KIND_NAMES = {"student": "学生", "staff": "教职工"}


def register(app: typer.Typer) -> None:
    """Attach the roster commands to the main CLI."""
    app.add_typer(roster_app, name="roster")


@roster_app.command("import", help=help_for("roster import"))
def import_command(
    files: Annotated[list[Path], typer.Argument(help=help_for("roster import FILES"))],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=help_for("roster import --dry-run"))
    ] = False,
    confirm_roles: Annotated[
        bool,
        typer.Option(
            "--confirm-roles",
            help=help_for("roster import --confirm-roles"),
        ),
    ] = False,
) -> None:
    """Import the roster files: all rows or none; people the files omit are kept."""
    from bot.cli.main import run_on_database, settings
    from messages.render import render
    from storage.roster.importer import NotApproved, RosterError

    config = settings()
    approve = None if dry_run or confirm_roles else _without_wide_roles
    try:
        report = run_on_database(_import(config, files, dry_run=dry_run, approve=approve))
    except NotApproved as exc:
        for line in summary(exc.report, outcome=False):
            typer.echo(line, err=True)
        typer.echo(render("roster_roles_unconfirmed", **_wide_grants(exc.report)), err=True)
        raise typer.Exit(1) from None
    except RosterError as exc:
        if exc.notes:
            typer.echo(render("roster_notes", notes=exc.notes), err=True)
        for source in exc.empty:
            typer.echo(render("roster_nothing_imported", **_nothing_context(source)), err=True)
        for line in exc.errors:
            typer.echo(line, err=True)
        if exc.errors:
            count = len(exc.errors) + len(exc.empty)
            typer.echo(render("roster_outcome", refused=True, count=count), err=True)
        raise typer.Exit(1) from None
    lines = summary(report)  # the outcome comes first
    if dry_run and not confirm_roles and not _without_wide_roles(report):
        lines.append(render("roster_roles_confirm_needed", **_wide_grants(report)))
    if report.notes:
        lines.append(render("roster_notes", notes=report.notes))
    for line in [*lines, *sheet_lines(report.sources)]:
        typer.echo(line)


@roster_app.command("template", help=help_for("roster template"))
def template_command(
    file: Annotated[Path, typer.Argument(help=help_for("roster template FILE"))],
    force: Annotated[
        bool, typer.Option("--force", help=help_for("roster template --force"))
    ] = False,
) -> None:
    """Write the import template: both sheets, example rows, required columns in red."""
    from messages.render import render

    if file.suffix.lower() != ".xlsx":
        typer.echo(render("roster_template_suffix"), err=True)
        raise typer.Exit(2)
    from storage.roster.importer import write_template

    try:
        write_template(file, overwrite=force)
    except FileExistsError:
        typer.echo(render("roster_template_exists", file=file), err=True)
        raise typer.Exit(2) from None
    except FileNotFoundError:
        typer.echo(render("roster_template_no_folder", folder=file.parent), err=True)
        raise typer.Exit(2) from None
    typer.echo(render("roster_template_written", file=file))


def _without_wide_roles(report: ImportReport) -> bool:
    """Approval for an import: nobody gains a role that sees beyond their own students."""
    return not _wide_grants(report)["people"]


def _wide_grants(report: ImportReport) -> dict[str, list[str]]:
    from handlers.access.rules import grants_wide_access

    people: list[str] = []
    roles: dict[str, None] = {}
    for change in report.roles:
        wide = [role for role in change.gained if grants_wide_access(role)]
        if wide:
            people.append(f"{change.name}（{change.code}）")
            roles.update(dict.fromkeys(_role_names(wide)))
    return {"people": people, "roles": list(roles)}


def _role_names(roles: Iterable[str]) -> list[str]:
    from storage.roster.fields import ROLE_NAMES

    names = {role.value: name for name, role in ROLE_NAMES.items()}
    order = list(names)
    ordered = sorted(roles, key=lambda role: order.index(role) if role in order else len(order))
    return [names.get(role, role) for role in ordered]


DETAIL_LIMIT = 200
"""People listed one by one in the change listing; the rest are counted."""


def detail_lines(report: ImportReport) -> list[str]:
    """Every field each known person would have changed, then every role gained or lost."""
    from messages.render import render

    lines: list[str] = []
    if report.changes:
        people = report.changes[:DETAIL_LIMIT]
        more = len(report.changes) - len(people)
        lines.append(render("roster_changes", people=people, kinds=KIND_NAMES, more=more))
    if report.roles:
        changes = [
            {
                "name": change.name,
                "code": change.code,
                "new": change.new,
                "gained": _role_names(change.gained),
                "lost": _role_names(change.lost),
            }
            for change in report.roles
        ]
        lines.append(render("roster_roles", changes=changes))
    return lines


async def _import(
    config: Settings, files: list[Path], *, dry_run: bool, approve: Approval | None
) -> ImportReport:
    from bot.clock import SystemClock
    from bot.runtime import open_database
    from storage.db import make_sessionmaker, session_scope
    from storage.roster.importer import import_roster

    async with open_database(config) as engine:
        with _progress_bar() as progress:
            async with session_scope(make_sessionmaker(engine)) as session:
                return await import_roster(
                    session,
                    files,
                    now=SystemClock().now(),
                    dry_run=dry_run,
                    progress=progress,
                    approve=approve,
                )


@contextmanager
def _progress_bar() -> Iterator[Progress | None]:
    """A progress bar on stderr when a person is watching; nothing in scripts and pipes."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as Bar

    with Bar(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("导入名单", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield update


def sheet_lines(sources: tuple[Source, ...]) -> list[str]:
    """Which sheets were read (with their data rows) and which were passed over."""
    from messages.render import render
    from storage.roster.source import SHEET_KINDS

    read = [sheet for source in sources for sheet in source.read]
    ignored = [name for source in sources for name in source.ignored]
    lines = [render("roster_sheets_read", sheets=read)]
    if ignored:
        lines.append(render("roster_sheets_ignored", sheets=ignored, expected=list(SHEET_KINDS)))
    return lines


def _nothing_context(source: Source) -> dict[str, object]:
    from storage.roster.source import SHEET_KINDS

    return {
        "file": source.name,
        "sheets": source.sheets,
        "workbook": source.workbook,
        "expected": list(SHEET_KINDS),
    }


def summary(report: ImportReport, *, outcome: bool = True) -> list[str]:
    """What the import did (or would do): counts per kind, every change, the outcome, and the
    people of the database the files did not mention."""
    from messages.render import render

    kinds = [(KIND_NAMES[kind], counts) for kind, counts in report.kinds.items()]
    lines = [render("roster_counts", kinds=kinds, changed=report.changed), *detail_lines(report)]
    if outcome and report.changed:
        lines.append(render("roster_outcome", refused=False, dry_run=report.dry_run))
    absent = [(name, counts.absent) for name, counts in kinds if counts.absent]
    if absent:
        lines.append(render("roster_absent", kinds=absent))
    return lines
