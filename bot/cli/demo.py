"""`carebot demo`: load a synthetic university and say whom to try in the simulator."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.cli.main import run_on_database, settings
from bot.clock import SystemClock
from bot.settings import Settings
from storage.demo.load import (
    DEFAULT_SEED,
    DEFAULT_STUDENTS,
    DatabaseNotEmptyError,
    DemoSummary,
    WellKnown,
    has_people,
    load_demo,
)
from storage.demo.plan import MIN_STUDENTS

SIM_URL = "http://127.0.0.1:8000/sim"

LOADED = """演示数据已载入（种子 {seed}）：{colleges} 个学院（{college_names}）
  学生 {students} 人，其中特殊群体学生 {special} 人（重点关注 {key_attention} 人）
  教职工 {staff} 人，朋辈导师 {peer_mentors} 人；有 {team_gaps} 名学生的 1+1+1 团队缺人
  个案档案 {case_files} 份，其中 {plans_missing} 份尚无“一生一策”方案
  近 60 天帮扶记录 {visit_logs} 条（{kinds}），其中风险上报 {risk_logs} 条

用 `make run` 或 `carebot serve` 启动后，打开 {url} ，选下面的人试试："""

SKIPPED = "数据库里已有人员，未载入演示数据（--if-empty）。打开 {url} 即可开始。"
NOT_EMPTY = "数据库里已有人员，演示数据只能载入空库；`make run` 用的是 `carebot demo --if-empty`。"
NO_SCHEMA = "无法写入数据库（先运行 `carebot db upgrade`）：{error}"

PERSON = "  {code:<12}{name}  {label}{college}{load}"
LABELS = {
    "school_admin": "校级管理员（全校统计、广播、台账）",
    "counsellor": "辅导员（有逾期的谈心和走访，发「待办」或等今日提醒）",
    "college_admin": "学院管理员（本院统计、广播、台账）",
    "academic_mentor": "学业导师（帮扶记录滞后）",
    "peer_mentor": "朋辈导师",
    "special": "特殊群体学生（重点关注）",
    "student": "普通学生",
}
COLLEGE = " · {college}"
LOAD = " · 帮扶 {students} 名学生"


def register(app: typer.Typer) -> None:
    """Attach the demo command to the main CLI."""
    app.command(
        "demo", help="载入演示数据：学院、学生、1+1+1 帮扶团队、个案档案和近 60 天的帮扶记录。"
    )(demo)


def demo(
    students: Annotated[
        int, typer.Option(min=MIN_STUDENTS, help="学生人数；教职工和帮扶记录按比例生成")
    ] = DEFAULT_STUDENTS,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="数据库里已有人员时什么都不做")
    ] = False,
    seed: Annotated[int, typer.Option(help="随机种子：种子相同，生成的数据也相同")] = (
        DEFAULT_SEED
    ),
) -> None:
    """Load demo data: colleges, students, 1+1+1 teams, case files and 60 days of visits."""
    config = settings()
    job = _load(config, students=students, seed=seed, if_empty=if_empty)
    try:
        # Exit 1 before migrations, as `carebot demo` always answered (tests/bot/cli/test_demo.py).
        summary = run_on_database(job, not_migrated_code=1)
    except DatabaseNotEmptyError:
        typer.echo(NOT_EMPTY, err=True)
        raise typer.Exit(1) from None
    except (OperationalError, ProgrammingError) as exc:
        typer.echo(NO_SCHEMA.format(error=str(exc.orig).splitlines()[0]), err=True)
        raise typer.Exit(1) from None
    if summary is None:
        typer.echo(SKIPPED.format(url=SIM_URL))
        return
    typer.echo(describe(summary, seed=seed))


async def _load(
    config: Settings, *, students: int, seed: int, if_empty: bool
) -> DemoSummary | None:
    from bot.runtime import open_database
    from storage.db import make_sessionmaker, session_scope

    async with (
        open_database(config) as engine,
        session_scope(make_sessionmaker(engine)) as session,
    ):
        if if_empty and await has_people(session):
            return None
        now = SystemClock().now()
        return await load_demo(session, now=now, students=students, seed=seed, tz=config.tz)


def describe(summary: DemoSummary, *, seed: int) -> str:
    """The Chinese summary printed after loading: counts, then whom to try."""
    kinds = " ".join(f"{kind} {count}" for kind, count in summary.visits_by_kind.items())
    counts = {k: v for k, v in vars(summary).items() if isinstance(v, int)}
    head = LOADED.format(
        seed=seed,
        colleges=len(summary.colleges),
        college_names="、".join(summary.colleges),
        kinds=kinds,
        url=SIM_URL,
        **counts,
    )
    return "\n".join([head, *(_person(p) for p in summary.well_known)])


def _person(person: WellKnown) -> str:
    return PERSON.format(
        code=person.code,
        name=person.name,
        label=LABELS.get(person.key, person.key),
        college=COLLEGE.format(college=person.college) if person.college else "",
        load=LOAD.format(students=person.students) if person.students else "",
    )
