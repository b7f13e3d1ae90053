"""What is due for whom, the 待办 list and 发送今日提醒, on a small generated college."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.settings import Settings
from handlers.context import Context, HandlerConfig
from handlers.policy.load import load_policy
from handlers.reminders.digest import digest_messages
from handlers.reminders.items import Reminder, due_for
from handlers.reminders.rules import plans_at
from messages.render import render
from storage.due.reminder_log import StudentCard
from storage.models import OutboxMessage, ReminderLog
from storage.people.identify import AccountMatch
from tests.fakes.care_roster import College, build_college, log_visit
from tests.fakes.chat import Chat
from tests.fakes.clock import SHANGHAI, FakeClock

POLICY = load_policy()
SHIPPED_POLICY = resources.files("storage").joinpath("data/policy.toml").read_text("utf-8")


def _ctx(session: AsyncSession, now: datetime) -> Context:
    config = HandlerConfig(
        tz=SHANGHAI,
        hotline="x",
        channels=("simulator",),
        policy=POLICY,
        account_match={"simulator": AccountMatch.ROSTER_CODE},
    )
    return Context(session=session, now=now, config=config)


def _at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


async def _items(session: AsyncSession, now: datetime, person_id: int | None) -> list[Reminder]:
    board = await due_for(_ctx(session, now), person_id)
    return board.get(person_id or 0, []) if person_id else [i for v in board.values() for i in v]


async def test_a_student_never_contacted_is_due_for_the_talk_rule(session: AsyncSession) -> None:
    college = await build_college(session, students=3, key_attention=0)
    first, second, third = college.students
    now = _at(2026, 11, 23)
    await log_visit(session, first, college.peer, kind="谈心谈话", at=now - timedelta(days=3))
    await log_visit(session, second, college.mentor, kind="谈心谈话", at=now - timedelta(days=20))

    items = await _items(session, now, college.counsellor.id)

    talks = {i.student.name: i.overdue_days for i in items if i.rule_id == "talk"}
    assert first.name not in talks  # a peer mentor's talk counts: the team's rule
    assert talks[second.name] == 5
    # never contacted this semester (from 9月7日): due 15 days later, on 9月22日
    assert talks[third.name] == (date(2026, 11, 23) - date(2026, 9, 22)).days
    assert {i.person_id for i in items} == {college.counsellor.id}


async def test_key_attention_comes_first_then_the_most_overdue(session: AsyncSession) -> None:
    college = await build_college(session, students=4, key_attention=1)
    key, *others = college.students
    now = _at(2026, 11, 23)
    await log_visit(session, key, college.counsellor, kind="谈心谈话", at=now - timedelta(days=16))
    for n, student in enumerate(others):
        days = 30 - n * 5
        await log_visit(
            session, student, college.counsellor, kind="谈心谈话", at=now - timedelta(days=days)
        )

    items = await _items(session, now, college.counsellor.id)

    talks = [i for i in items if i.rule_id == "talk"]
    assert [i.student.name for i in talks] == [key.name] + [s.name for s in others]
    assert [i.overdue_days for i in talks] == [1, 15, 10, 5]
    assert items[0].key_attention


async def test_escalation_marks_a_second_nudge_and_the_admin_summary(
    session: AsyncSession,
) -> None:
    college = await build_college(session, students=4, key_attention=1)
    key, two, three, eight = college.students
    now = _at(2026, 11, 23)
    for student, days in ((key, 16), (two, 17), (three, 18), (eight, 23)):
        await log_visit(
            session, student, college.counsellor, kind="谈心谈话", at=now - timedelta(days=days)
        )

    items = await _items(session, now, college.counsellor.id)

    marks = {
        i.student.name: (i.overdue_days, i.nudge, i.escalated) for i in items if i.rule_id == "talk"
    }
    assert marks == {
        key.name: (1, True, False),  # key attention: nudged after 1 day, summary after 3
        two.name: (2, False, False),
        three.name: (3, True, False),
        eight.name: (8, True, True),
    }


async def test_the_dorm_rule_rests_in_vacation(session: AsyncSession) -> None:
    college = await build_college(session, students=2, key_attention=0)

    late_in_term = await _items(session, _at(2026, 11, 27), college.counsellor.id)
    winter = await _items(session, _at(2027, 1, 27), college.counsellor.id)

    assert {i.rule_id for i in late_in_term} >= {"talk", "dorm_visit"}
    assert "dorm_visit" not in {i.rule_id for i in winter}
    assert "talk" in {i.rule_id for i in winter}  # talks go on by phone in vacations


async def test_the_national_day_key_period_asks_for_a_talk(session: AsyncSession) -> None:
    college = await build_college(session, students=2, key_attention=0)
    first, second = college.students
    talked = _at(2026, 9, 25)
    await log_visit(session, first, college.peer, kind="谈心谈话", at=talked)

    before = await _items(session, _at(2026, 9, 21), college.counsellor.id)
    during = await _items(session, _at(2026, 9, 28), college.counsellor.id)

    periods = {(i.student.name, i.period) for i in during if i.period}
    assert (second.name, "国庆节前") in periods
    assert (first.name, "国庆节前") not in periods  # the talk on 9月25日 satisfied it
    assert not any(i.period == "国庆节前" for i in before)
    [national] = [i for i in during if i.period == "国庆节前" and i.student.id == second.id]
    assert national.deadline == date(2026, 9, 30) and national.overdue_days < 0


async def test_the_graduating_class_follows_the_academic_year(session: AsyncSession) -> None:
    college = await build_college(session, students=2, key_attention=0)
    college.students[0].graduation_year = 2027
    session.add(college.students[0])
    await session.flush()

    late_november = await _items(session, _at(2026, 11, 26), college.counsellor.id)

    employment = [i.student.name for i in late_november if i.rule_id == "employment_guidance"]
    assert employment == [college.students[0].name]


def test_rules_in_force_follow_the_calendar() -> None:
    term = plans_at(POLICY, at=_at(2026, 11, 23), tz=SHANGHAI)
    summer = {p.query.rule_id for p in plans_at(POLICY, at=_at(2026, 8, 3), tz=SHANGHAI)}

    assert {p.query.rule_id for p in term if p.period is None} == {r.id for r in POLICY.rules}
    # No key period has begun since the return week after 国庆节: it is still owed.
    assert [p.query.rule_id for p in term if p.period] == ["key_period:after_holiday:2026-10-08"]
    assert "dorm_visit" not in summer and "academic_tutoring" not in summer
    assert "talk" in summer


def _reminder(n: int, *, key: bool = False, overdue: int = 2, kind: str = "谈心谈话") -> Reminder:
    return Reminder(
        person_id=1,
        rule_id="talk",
        title="谈心谈话",
        period=None,
        kind=kind,
        student=StudentCard(n, f"学生{n}", "计科2301", "计算机学院"),
        key_attention=key,
        sensitive=False,
        due_at=_at(2026, 11, 20),
        overdue_days=overdue,
        deadline=date(2026, 11, 20),
        nudge=overdue >= 3,
        escalated=False,
    )


def test_a_digest_shows_eight_students_on_cards_of_six_buttons() -> None:
    items = [_reminder(n) for n in range(1, 11)] + [_reminder(1, kind="走访寝室")]

    first, second = digest_messages(items, name="王老师", restricted=False)

    assert [b.key for b in first.buttons] == [f"visit:start:{n}:谈心谈话" for n in range(1, 7)]
    assert [b.label for b in second.buttons] == ["学生7", "学生8"]
    assert "11 项" in first.text and "1. 学生1" in first.text and "7. 学生7" in second.text
    assert "还有 2 项" in second.text and "待办" in second.text
    assert "还有" not in first.text
    assert first.title == "今日帮扶提醒（1/2）"


def test_a_short_digest_is_one_card_and_marks_second_nudges() -> None:
    items = [_reminder(1, overdue=4), _reminder(2, overdue=0), _reminder(3, kind="周报")]

    [card] = digest_messages(items, name="王老师", restricted=False)

    assert card.title == "今日帮扶提醒"
    assert "‼ 再次提醒：谈心谈话 · 已逾期 4 天" in card.text
    assert "· 谈心谈话 · 今天到期" in card.text
    assert [b.key for b in card.buttons][2] == "周报"  # the weekly-report form
    assert "还有" not in card.text


# -- through the simulator -------------------------------------------------------------


@pytest.fixture
async def college(session: AsyncSession) -> College:
    built = await build_college(session, students=3, key_attention=1, other_college=1)
    await session.commit()
    return built


async def test_todo_lists_everything_due_with_a_hint(
    client: httpx.AsyncClient, college: College, clock: FakeClock
) -> None:
    answer = await Chat(client, "T100").say("待办")

    key = college.students[0]
    assert answer.startswith("王老师，您现在的待办")
    assert f"1. {key.name}（{key.class_name}） · 重点关注" in answer
    assert "谈心谈话 · 已逾期" in answer and "走访寝室" in answer
    assert f"回复「记录 姓名」记录一次帮扶，如：记录 {key.name}" in answer
    assert college.students[3].name not in answer  # another college's student, not mine


async def test_todo_when_nothing_is_due_is_a_calm_line(
    client: httpx.AsyncClient, college: College
) -> None:
    assert "暂无待办" in await Chat(client, "T900").say("待办")


PEER_RULE = """
[[rule]]
id = "peer_company"
title = "心理异常学生陪伴"
students = "category:psychological"
responsible = "peer_mentor"
kinds = ["谈心谈话"]
cadence = { every_days = 7 }
"""


async def test_a_peer_mentor_sees_names_and_classes_only(
    client: httpx.AsyncClient,
    college: College,
    settings: Settings,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    assert "暂无待办" in await Chat(client, "P300").say("待办")  # default rules: staff only
    (tmp_path / "policy.toml").write_text(SHIPPED_POLICY + PEER_RULE, "utf-8")
    custom = settings.model_copy(update={"policy_file": tmp_path / "policy.toml"})
    app = create_app(custom, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        local = "http://127.0.0.1"
        async with httpx.AsyncClient(transport=transport, base_url=local) as peer_client:
            answer = await Chat(peer_client, "P300").say("待办")

    psychological = college.students[2]  # categories go round: the third is 心理异常
    assert f"{psychological.name}（{psychological.class_name}）" in answer
    assert "联系同学 · 已逾期" in answer
    assert "心理" not in answer and "重点关注" not in answer
    assert college.students[1].name not in answer


async def test_send_today_as_a_teacher_is_refused(
    client: httpx.AsyncClient, college: College, session: AsyncSession
) -> None:
    assert "权限" in await Chat(client, "T100").say("发送今日提醒")
    assert (await session.exec(select(ReminderLog))).all() == []


async def _answer(app: FastAPI, admin: Chat, *, seen: str = "") -> str:
    """What reached the admin after `seen` once the runner has done what was asked and its
    answer was delivered. The app's own sender may hold the answer's row mid-send when ours
    drains (PostgreSQL: they run at once), so look until it is there, bounded."""
    await app.state.work.drain()
    async with asyncio.timeout(10):
        while True:
            await app.state.outbox.drain()
            told = (await admin.inbox()).removeprefix(seen)
            if render("remind_sent", count=0) in told or "已发送今日提醒" in told:
                return told
            await asyncio.sleep(0.05)


async def test_send_today_as_school_admin_reaches_everyone_once(
    app: FastAPI, client: httpx.AsyncClient, college: College, session: AsyncSession
) -> None:
    admin = Chat(client, "T901")

    queued = await admin.say("发送今日提醒")
    first = await _answer(app, admin)
    assert await admin.say("发送今日提醒") == queued
    again = await _answer(app, admin, seen=first)

    await session.rollback()
    digests = col(OutboxMessage.idempotency_key).startswith("digest:")
    rows = (await session.exec(select(OutboxMessage).where(digests))).all()
    assert "2 人" in first and "没有新的提醒" in again
    assert {r.person_id for r in rows} == {college.counsellor.id, college.other.id}
    card = json.loads(rows[0].payload)
    assert card["kind"] == "card" and card["buttons"][0]["key"].startswith("visit:start:")


async def test_send_today_as_college_admin_reaches_their_college_only(
    app: FastAPI, client: httpx.AsyncClient, college: College, session: AsyncSession
) -> None:
    admin = Chat(client, "T900")
    assert "正在发送" in await admin.say("发送今日提醒")
    assert "1 人" in await _answer(app, admin)

    await session.rollback()
    logs = (await session.exec(select(ReminderLog))).all()
    assert [(log.person_id, log.kind, log.day) for log in logs] == [
        (college.counsellor.id, "digest", date(2026, 11, 23))
    ]
