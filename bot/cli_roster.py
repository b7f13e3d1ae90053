"""CLI commands for the roster: `carebot roster import` and `carebot roster template`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # the storage stack loads only when a roster command runs
    from bot.settings import Settings
    from storage.roster import ImportReport, KindCounts, Source
    from storage.roster_sheet import Progress

roster_app = typer.Typer(no_args_is_help=True, help="名单：导入学生和教职工，生成导入模板。")
KIND_NAMES = {"student": "学生", "staff": "教职工"}
DRY_RUN_DONE = "试运行：以上为将要发生的变化，未写入任何数据。"


def register(app: typer.Typer) -> None:
    """Attach the roster commands to the main CLI."""
    app.add_typer(roster_app, name="roster")


@roster_app.command("import")
def import_command(
    files: Annotated[
        list[Path], typer.Argument(help="名单文件：.xlsx（学生、教职工两个工作表）或 .csv")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="只检查并报告将要发生的变化，不写入数据库。")
    ] = False,
) -> None:
    """导入名单：全部行无误才写入；按学号/工号新增或更新，文件中没有的人员保持不变。"""
    from bot.cli import run_on_database, settings
    from messages.render import render
    from storage.roster import RosterError

    config = settings()
    try:
        report = run_on_database(_import(config, files, dry_run=dry_run))
    except RosterError as exc:
        for source in exc.empty:
            typer.echo(render("roster_nothing_imported", **_nothing_context(source)), err=True)
        for line in exc.errors:
            typer.echo(line, err=True)
        if exc.errors:
            count = len(exc.errors) + len(exc.empty)
            typer.echo(f"导入失败：共 {count} 处错误，未写入任何数据。", err=True)
        raise typer.Exit(1) from None
    for line in [*summary(report), *sheet_lines(report.sources)]:  # the outcome comes first
        typer.echo(line)


@roster_app.command("template")
def template_command(
    file: Annotated[Path, typer.Argument(help="要生成的 .xlsx 文件")],
    force: Annotated[bool, typer.Option("--force", help="文件已存在时覆盖它。")] = False,
) -> None:
    """生成带示例行的导入模板（学生、教职工两个工作表，红色列名为必填）。"""
    if file.suffix.lower() != ".xlsx":
        typer.echo("模板文件名应以 .xlsx 结尾", err=True)
        raise typer.Exit(2)
    from messages.render import render
    from storage.roster import write_template

    try:
        write_template(file, overwrite=force)
    except FileExistsError:
        typer.echo(render("roster_template_exists", file=file), err=True)
        raise typer.Exit(2) from None
    except FileNotFoundError:
        typer.echo(render("roster_template_no_folder", folder=file.parent), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"已生成模板：{file}")


async def _import(config: Settings, files: list[Path], *, dry_run: bool) -> ImportReport:
    from bot.clock import SystemClock
    from bot.runtime import open_database
    from storage.db import make_sessionmaker, session_scope
    from storage.roster import import_roster

    async with open_database(config) as engine:
        with _progress_bar() as progress:
            async with session_scope(make_sessionmaker(engine)) as session:
                return await import_roster(
                    session, files, now=SystemClock().now(), dry_run=dry_run, progress=progress
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
    from storage.roster_source import SHEET_KINDS

    read = [sheet for source in sources for sheet in source.read]
    ignored = [name for source in sources for name in source.ignored]
    lines = [render("roster_sheets_read", sheets=read)]
    if ignored:
        lines.append(render("roster_sheets_ignored", sheets=ignored, expected=list(SHEET_KINDS)))
    return lines


def _nothing_context(source: Source) -> dict[str, object]:
    from storage.roster_source import SHEET_KINDS

    return {
        "file": source.name,
        "sheets": source.sheets,
        "workbook": source.workbook,
        "expected": list(SHEET_KINDS),
    }


def summary(report: ImportReport) -> list[str]:
    """What the import did (or would do), in one line per kind."""
    kinds = report.kinds
    if not report.changed:
        people = "，".join(f"{KIND_NAMES[k]} {c.unchanged} 人" for k, c in kinds.items())
        lines = [f"没有变化：{people}均与数据库一致"]
    else:
        lines = [f"{KIND_NAMES[kind]}：{_counts(counts)}" for kind, counts in kinds.items()]
        lines.append(
            "试运行：以上为将要发生的变化，未写入任何数据。" if report.dry_run else "导入完成。"
        )
    absent = "、".join(f"{KIND_NAMES[k]} {c.absent} 人" for k, c in kinds.items() if c.absent)
    if absent:
        lines.append(f"数据库中另有{absent}不在文件中，保持不变。")
    return lines


def _counts(counts: KindCounts) -> str:
    return f"新增 {counts.created} / 更新 {counts.updated} / 未变 {counts.unchanged}"
