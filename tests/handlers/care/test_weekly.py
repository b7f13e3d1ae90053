"""周报: a counsellor reports weekly on each key-attention student; 危险 raises an alert."""

from __future__ import annotations

from datetime import date, datetime

import httpx
import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Alert, AuditEntry, OutboxMessage, Person, VisitLog, WeeklyReport
from tests.fakes.chat import Chat
from tests.fakes.clock import SHANGHAI, FakeClock
from tests.fakes.roster import make_staff, make_student

THURSDAY = datetime(2026, 11, 26, 17, 0, tzinfo=SHANGHAI)
MONDAY = date(2026, 11, 23)


@pytest.fixture
async def students(session: AsyncSession, clock: FakeClock) -> dict[str, int]:
    """Counsellor 李老师 holds the student-affairs seat of two key-attention students and one
    other; 张三 had two contacts this week and one last Sunday."""
    mentor = await make_staff(session, name="王老师", code="T100", roles=("academic_mentor",))
    counsellor = await make_staff(session, name="李老师", code="T101", roles=("counsellor",))
    await make_staff(session, code="A100", roles=("college_admin",))
    await make_staff(session, code="C100", roles=("psych_center",))
    team = {"academic_mentor": mentor, "student_affairs": counsellor}
    zhang = await make_student(session, name="张三", key_attention=True, team=team)
    li = await make_student(
        session, name="李四", class_name="计科2302", key_attention=True, team=team
    )
    await make_student(session, name="王五", class_name="计科2303", team=team)
    for day, hour in ((22, 20), (24, 10), (26, 9)):  # last Sunday, Tuesday, Thursday
        at = datetime(2026, 11, day, hour, 0, tzinfo=SHANGHAI)
        session.add(
            VisitLog(
                student_id=zhang.id or 0,
                author_id=mentor.id or 0,
                kind="谈心谈话",
                occurred_at=at,
                summary="聊了聊近况",
                effect="保持稳定",
                created_at=at,
            )
        )
    await session.commit()
    clock.set(THURSDAY)
    return {"张三": zhang.id or 0, "李四": li.id or 0, "T101": counsellor.id or 0}


async def _reports(session: AsyncSession) -> list[WeeklyReport]:
    await session.rollback()
    return list((await session.exec(select(WeeklyReport).order_by(col(WeeklyReport.id)))).all())


async def test_a_weekly_report_stores_status_and_this_weeks_contacts(
    client: httpx.AsyncClient, session: AsyncSession, students: dict[str, int]
) -> None:
    chat = Chat(client, "T101")

    question = await chat.say("周报")
    assert "重点关注学生" in question and "王五" not in question
    assert [label for _, label in chat.buttons] == ["张三（计科2301）", "李四（计科2302）"]
    assert "张三（计科2301）本周状态如何" in await chat.press("form:choice:0")
    assert "备注" in await chat.say("稳定")
    summary = await chat.say("跳过")
    assert "1. 学生：张三（计科2301）" in summary and "2. 状态：稳定" in summary
    assert await _reports(session) == []

    saved = await chat.say("确认")

    assert "本周联系 2 次" in saved and "还有 1 位" in saved
    [report] = await _reports(session)
    assert (report.student_id, report.author_id) == (students["张三"], students["T101"])
    assert (report.week_start, report.status, report.contacts, report.note) == (
        MONDAY,
        "稳定",
        2,
        None,
    )
    assert "（本周已填）" in await chat.say("周报")


async def test_reporting_every_student_says_the_week_is_done(
    client: httpx.AsyncClient, session: AsyncSession, students: dict[str, int]
) -> None:
    chat = Chat(client, "T101")
    for name, status in (("张三", "稳定"), ("李四", "波动")):
        for answer in ("周报", name, status, "最近在准备考研"):
            await chat.say(answer)
        saved = await chat.say("确认")

    assert "都填完了" in saved and "本周联系 0 次" in saved
    reports = await _reports(session)
    assert [(r.student_id, r.status, r.contacts) for r in reports] == [
        (students["张三"], "稳定", 2),
        (students["李四"], "波动", 0),
    ]
    assert {r.note for r in reports} == {"最近在准备考研"}


async def test_danger_raises_an_alert_to_the_college_and_psych_centre(
    client: httpx.AsyncClient, session: AsyncSession, students: dict[str, int]
) -> None:
    chat = Chat(client, "T101")
    for answer in ("周报", "李四", "危险", "连续三天没有回寝室"):
        await chat.say(answer)

    saved = await chat.say("确认")

    assert "已立即通知" in saved
    await session.rollback()
    [alert] = (await session.exec(select(Alert))).all()
    assert (alert.student_id, alert.source, alert.detail) == (
        students["李四"],
        "weekly",
        "连续三天没有回寝室",
    )
    rows = (await session.exec(select(OutboxMessage))).all()
    alerted = {row.recipient for row in rows if row.idempotency_key.startswith("alert:")}
    assert alerted == {"A100", "C100"}  # the counsellor wrote it, so is not told again


async def test_a_teacher_without_key_attention_students_has_nothing_to_report(
    client: httpx.AsyncClient, session: AsyncSession, students: dict[str, int]
) -> None:
    reply = await Chat(client, "T100").say("周报")

    assert "没有需要填写周报" in reply
    assert "没有听懂" in await Chat(client, "T100").say("跳过")  # no form was opened


@pytest.mark.parametrize("status", ["波动", "危险"])
async def test_a_student_no_longer_the_teachers_at_confirmation_gets_no_report(
    client: httpx.AsyncClient, session: AsyncSession, students: dict[str, int], status: str
) -> None:
    """The student was chosen from the list then shown; by 确认 they are no longer key
    attention: nothing is stored, the refusal is audited, and a 危险 still raises the alert."""
    chat = Chat(client, "T101")
    for answer in ("周报", "李四", status, "连续三天没有回寝室"):
        await chat.say(answer)
    li = await session.get(Person, students["李四"])
    assert li is not None
    li.key_attention = False
    await session.commit()

    refused = await chat.say("确认")

    assert "已不在你的重点关注学生名单中" in refused and "没有保存" in refused
    assert await _reports(session) == []
    denied = (
        await session.exec(select(AuditEntry).where(AuditEntry.action == "denied_weekly_report"))
    ).all()
    assert [(entry.actor_id, entry.subject_id) for entry in denied] == [
        (students["T101"], students["李四"])
    ]
    alerts = (await session.exec(select(Alert))).all()
    assert [(a.student_id, a.source) for a in alerts] == (
        [(students["李四"], "weekly")] if status == "危险" else []
    )
    assert ("已立即通知" in refused) == (status == "危险")
