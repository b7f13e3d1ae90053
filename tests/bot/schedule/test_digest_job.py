"""The daily digest and the weekly admin summary, run as the clock runs them, with a fake clock."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from typer.testing import CliRunner

from bot.cli import ops as cli_ops
from bot.runtime import open_runtime
from bot.schedule import jobs
from bot.settings import Settings
from handlers.policy.calendar import is_working_day
from handlers.policy.load import load_policy
from storage.models import CaseFile, OutboxMessage, ReminderLog
from tests.conftest import DATA_KEY
from tests.fakes.care_roster import College, build_college, log_visit
from tests.fakes.clock import SHANGHAI, FakeClock
from tests.fakes.roster import make_student


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


MONDAY = date(2026, 11, 23)


@pytest.fixture
async def college(session: AsyncSession, engine: AsyncEngine) -> College:
    built = await build_college(session, students=3, key_attention=1, other_college=1)
    await session.commit()
    return built


async def _rows(session: AsyncSession, prefix: str = "digest:") -> list[OutboxMessage]:
    await session.rollback()  # a fresh snapshot of what the jobs committed
    query = select(OutboxMessage).where(col(OutboxMessage.idempotency_key).startswith(prefix))
    return list((await session.exec(query.order_by(col(OutboxMessage.id)))).all())


def _payload(row: OutboxMessage) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(row.payload)
    return payload


async def _run_at(settings: Settings, clock: FakeClock, moment: datetime) -> int:
    clock.set(moment)
    async with open_runtime(settings, clock=clock) as runtime:
        return await jobs.send_digests(runtime)


async def test_the_digest_goes_out_once_at_the_digest_time(
    settings: Settings, clock: FakeClock, college: College, session: AsyncSession
) -> None:
    clock.set(_at(MONDAY, 8, 0))
    async with open_runtime(settings, clock=clock) as runtime:
        early = await jobs.send_digests(runtime)
        clock.set(_at(MONDAY, 8, 35))
        on_time = await jobs.send_digests(runtime)
        again = await jobs.send_digests(runtime)

    rows = await _rows(session)
    assert (early, on_time, again) == (0, 2, 0)
    assert sorted(r.person_id or 0 for r in rows) == sorted(
        [college.counsellor.id or 0, college.other.id or 0]
    )
    mine = next(_payload(r) for r in rows if r.person_id == college.counsellor.id)
    key = college.students[0]
    assert mine["title"] == "今日帮扶提醒" and mine["text"].startswith("王老师，您好")
    assert mine["buttons"][0] == {"key": f"visit:start:{key.id}:谈心谈话", "label": key.name}
    assert f"1. {key.name}（{key.class_name}） · 重点关注" in mine["text"]


async def test_a_restart_on_the_same_day_sends_nothing_more(
    settings: Settings, clock: FakeClock, college: College, session: AsyncSession
) -> None:
    first = await _run_at(settings, clock, _at(MONDAY, 8, 31))
    after_restart = await _run_at(settings, clock, _at(MONDAY, 11, 0))
    next_day = await _run_at(settings, clock, _at(MONDAY + timedelta(days=1), 8, 31))

    assert (first, after_restart, next_day) == (2, 0, 2)
    assert len(await _rows(session)) == 4


async def test_two_clocks_at_once_send_once(
    settings: Settings, clock: FakeClock, college: College, session: AsyncSession
) -> None:
    clock.set(_at(MONDAY, 8, 30))
    async with (
        open_runtime(settings, clock=clock) as one,
        open_runtime(settings, clock=clock) as two,
    ):
        sent = await asyncio.gather(jobs.send_digests(one), jobs.send_digests(two))

    assert sum(sent) == 2
    assert len(await _rows(session)) == 2


async def test_nothing_in_quiet_hours_on_weekends_or_holidays(
    settings: Settings, clock: FakeClock, college: College, session: AsyncSession
) -> None:
    quiet_evening = await _run_at(settings, clock, _at(MONDAY, 22, 0))
    quiet_morning = await _run_at(settings, clock, _at(MONDAY + timedelta(days=1), 7, 0))
    saturday = await _run_at(settings, clock, _at(date(2026, 11, 28), 9, 0))
    national_day = await _run_at(settings, clock, _at(date(2026, 10, 1), 9, 0))
    makeup_sunday = await _run_at(settings, clock, _at(date(2026, 9, 20), 9, 0))  # 调休

    assert (quiet_evening, quiet_morning, saturday, national_day) == (0, 0, 0, 0)
    assert makeup_sunday == 2
    assert {r.idempotency_key.split(":")[1] for r in await _rows(session)} == {"2026-09-20"}


async def test_a_digest_missed_at_the_digest_time_goes_out_later_that_day(
    settings: Settings, clock: FakeClock, college: College, session: AsyncSession
) -> None:
    talked = college.students[1]
    await log_visit(session, talked, college.counsellor, kind="谈心谈话", at=_at(MONDAY, 10, 0))
    await session.commit()

    late = await _run_at(settings, clock, _at(MONDAY, 14, 0))

    assert late == 2
    mine = next(_payload(r) for r in await _rows(session) if r.person_id == college.counsellor.id)
    assert "谈心谈话" in mine["text"]
    assert _entries(mine["text"], talked.name) == [
        "‼ 再次提醒：走访寝室 · 已逾期 7 天"
    ]  # talk done


def _entries(text: str, name: str) -> list[str]:
    """The lines under a student's numbered line in a digest."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if f". {name}（" in line)
    entries = []
    for line in lines[start + 1 :]:
        if not line.startswith("   "):
            break
        entries.append(line.strip())
    return entries


async def test_nobody_with_nothing_due_gets_a_digest(
    settings: Settings, clock: FakeClock, session: AsyncSession, engine: AsyncEngine
) -> None:
    college = await build_college(session, students=1, key_attention=0)
    await log_visit(
        session,
        college.students[0],
        college.counsellor,
        kind="谈心谈话",
        at=_at(date(2026, 11, 1), 9),
    )
    await session.commit()

    assert await _run_at(settings, clock, _at(date(2026, 11, 4), 9, 0)) == 0
    assert await _rows(session) == []


async def test_what_falls_due_after_the_digest_time_waits_for_tomorrow(
    settings: Settings, clock: FakeClock, session: AsyncSession, engine: AsyncEngine
) -> None:
    """December's first dorm visit is due on the 16th at noon (half of 31 days), so it enters
    the digest's 7-day window at noon on the 9th: after the 08:30 digest."""
    college = await build_college(session, students=1, key_attention=0)
    talked = _at(date(2026, 12, 1), 9)
    await log_visit(session, college.students[0], college.counsellor, kind="谈心谈话", at=talked)
    await session.commit()

    morning = await _run_at(settings, clock, _at(date(2026, 12, 9), 8, 35))
    afternoon = await _run_at(settings, clock, _at(date(2026, 12, 9), 14, 0))
    tomorrow = await _run_at(settings, clock, _at(date(2026, 12, 10), 8, 35))

    assert (morning, afternoon, tomorrow) == (0, 0, 1)
    [row] = await _rows(session)
    assert "走访寝室 · 12月16日前" in _payload(row)["text"]


async def test_the_autumn_semester_day_by_day(
    settings: Settings, clock: FakeClock, college: College, session: AsyncSession
) -> None:
    """Run the job at 08:00, 08:35 and 22:00 every day of the autumn 2026 semester, into the
    winter vacation (2027 holidays come from the policy file's fallback calendar)."""
    policy, start = load_policy(), date(2026, 9, 7)
    days = [start + timedelta(days=n) for n in range(140)]
    async with open_runtime(settings, clock=clock) as runtime:
        for day in days:
            for hour, minute in ((8, 0), (8, 35), (22, 0)):
                clock.set(_at(day, hour, minute))
                await jobs.send_digests(runtime)

    rows = await _rows(session)
    sent = Counter((r.person_id, r.idempotency_key.split(":")[1]) for r in rows)
    working = [d for d in days if is_working_day(d, policy)]
    teachers = (college.counsellor.id, college.other.id)
    assert set(sent.values()) == {1}
    # the academic mentor's 学业辅导 (once a semester) shows from four weeks before the end
    tutoring = [d for d in working if date(2026, 12, 20) <= d <= date(2027, 1, 17)]
    expected = {(t, d.isoformat()) for t in teachers for d in working}
    expected |= {(college.mentor.id, d.isoformat()) for d in tutoring}
    assert set(sent) - expected == set() and expected - set(sent) == set()
    assert date(2026, 9, 20).isoformat() in {d for _, d in sent}  # the 调休 Sunday
    texts = {d: _payload(r)["text"] for r in rows if r.person_id == college.counsellor.id
             for d in [r.idempotency_key.split(":")[1]]}  # fmt: skip
    assert "国庆节前" in texts["2026-09-28"] and "国庆节前" not in texts["2026-09-21"]
    assert "暑假返校" in texts["2026-09-07"]
    assert "国庆节后返校" in texts["2026-10-09"]
    assert "考前" in texts["2026-12-28"] and "考前" not in texts["2026-12-14"]
    assert "2027-01-01" not in texts  # New Year's Day 2027, from the fallback calendar


async def test_the_weekly_summary_tells_the_college_admin_who_has_slipped(
    settings: Settings, clock: FakeClock, college: College, session: AsyncSession
) -> None:
    clock.set(_at(MONDAY, 8, 40))
    async with open_runtime(settings, clock=clock) as runtime:
        first = await jobs.send_admin_summaries(runtime)
        again = await jobs.send_admin_summaries(runtime)
        clock.set(_at(MONDAY + timedelta(days=2), 9, 0))
        later_that_week = await jobs.send_admin_summaries(runtime)

    [row] = await _rows(session, "admin_summary:")
    text = _payload(row)["text"]
    assert (first, again, later_that_week) == (2, 0, 0)  # the college admin and the school admin
    assert row.person_id == college.admin.id
    assert text.startswith("计算机学院本周逾期帮扶汇总")
    # six due now, and three students' 国庆节后返校 talks, unfulfilled, carried as overdue
    assert "王老师：9 项" in text and college.students[0].name in text
    assert "陈老师" not in text  # another college's teacher
    assert "孤儿" not in text and "心理" not in text
    admin = row.person_id
    [school] = await _rows(session, "school_summary:")
    assert school.person_id != admin  # a school admin, not the college admin


def _ops_cli() -> typer.Typer:
    """The operations commands on a Typer app built here, as `carebot` registers them."""
    app = typer.Typer()
    app.callback()(lambda: None)
    cli_ops.register(app)
    return app


async def test_carebot_remind_now_sends_todays_digests(
    settings: Settings, college: College, session: AsyncSession
) -> None:
    env = {
        "CAREBOT_DATABASE_URL": settings.database_url,
        "CAREBOT_DATA_KEY": DATA_KEY,
        "CAREBOT_SIMULATOR": "true",
    }
    app, runner = _ops_cli(), CliRunner()

    first = await asyncio.to_thread(runner.invoke, app, ["remind", "--now"], env=env)
    second = await asyncio.to_thread(runner.invoke, app, ["remind", "--now"], env=env)

    assert first.exit_code == 0, first.output
    assert "今日提醒已发给 2 人。" in first.output
    assert "今日提醒已发给 0 人。" in second.output
    await session.rollback()
    assert len((await session.exec(select(ReminderLog))).all()) == 2


async def test_semester_tasks_over_the_opening_weeks(
    settings: Settings, clock: FakeClock, college: College, session: AsyncSession
) -> None:
    """摸排 once, the ledger deadline (10月15日) 7 and 1 days before, the 1+1+1 check daily
    and 一生一策 weekly, from the first day of the autumn semester to the deadline."""
    await make_student(
        session,
        name="缺组员",
        categories=("orphan",),
        team={"student_affairs": college.counsellor},
    )
    planned, unplanned = college.students[0], college.students[1]
    for student, plan in ((planned, "每周谈心一次"), (unplanned, " ")):
        opened, sid = _at(date(2026, 9, 1), 9), student.id or 0
        session.add(CaseFile(student_id=sid, plan=plan, opened_at=opened, updated_at=opened))
    await session.commit()
    days = [date(2026, 9, 7) + timedelta(days=n) for n in range(40)]
    async with open_runtime(settings, clock=clock) as runtime:
        for day in days:
            for hour in (8, 9, 14):
                clock.set(_at(day, hour, 35))
                await jobs.run_semester_tasks(runtime)

    rows = await _rows(session, "")
    sent = Counter(r.idempotency_key.rsplit(":", 1)[0] for r in rows)  # per task and day
    by_kind = Counter(key.split(":")[0] for key in sent)
    working = [d for d in days if is_working_day(d, load_policy())]
    assert {key: n for key, n in sent.items() if key.startswith(("survey", "ledger"))} == {
        "survey:2026-09-07": 2,  # both counsellors, once
        "ledger:2026-10-08": 1,  # the one college admin
        "ledger:2026-10-14": 1,
    }
    assert by_kind["team_gaps"] == len(working)  # daily, on working days
    assert by_kind["plan"] == 6  # weekly: six weeks from 9月7日
    texts = {(r.person_id, r.idempotency_key.rsplit(":", 1)[0]): _payload(r)["text"] for r in rows}
    gaps = texts[(college.admin.id, "team_gaps:2026-09-07")]
    assert "缺组员" in gaps and "缺学业导师、朋辈导师" in gaps
    assert "机械" not in gaps  # another college's student: another admin's business
    plan = texts[(college.counsellor.id, "plan:2026-09-07")]
    assert unplanned.name in plan and "缺组员" in plan and planned.name not in plan
    assert "还有 7 天" in texts[(college.admin.id, "ledger:2026-10-08")]


def test_a_broken_policy_file_ends_the_command_naming_each_problem(tmp_path: Path) -> None:
    broken = tmp_path / "policy.toml"
    broken.write_text('[schedule]\ndigest_time = "25:00"\n', "utf-8")
    env = {
        "CAREBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "CAREBOT_DATA_KEY": DATA_KEY,
        "CAREBOT_POLICY_FILE": str(broken),
    }
    result = CliRunner().invoke(_ops_cli(), ["remind"], env=env)

    assert result.exit_code == 2
    head, *findings = result.output.strip().splitlines()
    assert head.startswith(f"carebot：CAREBOT_POLICY_FILE 指向的策略文件 {broken} 有 2 处问题")
    assert findings == [
        "  策略文件：至少要有一个 [[semester]]（学期日历）。",
        '  schedule："digest_time" 应是 24 小时制的时间 "HH:MM"（例如 "08:30"），不能是 "25:00"。',
    ]
    assert "Traceback" not in result.output
