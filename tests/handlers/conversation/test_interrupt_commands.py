"""A command typed mid-form (「查看 李思远」, 「记录　张三」) is answered and the open question
asked again, at every step of the visit and weekly forms; 「查看了寝室」 stays an answer."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Alert, VisitLog, WeeklyReport
from tests.fakes.chat import Chat
from tests.fakes.clock import SHANGHAI, FakeClock
from tests.fakes.roster import make_staff, make_student

VIEW = "查看 李思远"
VIEWED = "2023000200"  # 李思远's 学号: only her file shows it
START = "记录\u3000张三"  # a full-width space, as Chinese IMEs type it
IN_PROGRESS = "正在填写"

# (step, what its question says, the answer given); command words glued to text are answers.
VISIT = (
    ("student", "请选择学生", "张三"),
    ("kind", "哪种帮扶", "谈心"),
    ("when", "什么时候", "昨天下午"),
    ("place", "在哪里", "办公室"),
    ("summary", "请简要记录", "查看了寝室，记录一下作息"),
    ("effect", "效果评估", "3"),
    ("risk", "安全风险", "有"),
    ("risk_detail", "描述发现的风险", "夜里失眠"),
    ("follow_up", "后续跟进", "记录一下期末安排"),
    ("confirm", "请核对", "确认"),
)
WEEKLY = (
    ("student", "请选择重点关注学生", "张三"),
    ("status", "本周状态", "波动"),
    ("note", "备注", "查看了寝室，作息正常"),
    ("confirm", "请核对", "确认"),
)


@pytest.fixture
async def zhang(session: AsyncSession) -> int:
    """王老师 is 张三's academic mentor and student-affairs teacher (张三 is a key-attention
    student, so 周报 applies) and 李思远's academic mentor."""
    teacher = await make_staff(
        session, name="王老师", code="T100", roles=("academic_mentor", "counsellor")
    )
    team = {"academic_mentor": teacher, "student_affairs": teacher}
    zhang = await make_student(
        session, name="张三", code="2023000100", key_attention=True, team=team
    )
    await make_student(
        session,
        name="李思远",
        code=VIEWED,
        class_name="软工2302",
        team={"academic_mentor": teacher},
    )
    await session.commit()
    assert zhang.id is not None
    return zhang.id


@pytest.fixture
def chat(client: httpx.AsyncClient, zhang: int) -> Chat:
    return Chat(client, "T100")


async def _all(session: AsyncSession, table: type[Alert | VisitLog | WeeklyReport]) -> list:
    await session.rollback()  # a fresh snapshot: see what the service committed since
    return list((await session.exec(select(table))).all())


async def _interrupt(chat: Chat, session: AsyncSession, question: str) -> None:
    """Both commands are answered, the question comes again, and nothing was taken as the
    answer (nor, at the risk description, raised as an alert)."""
    viewed = await chat.say(VIEW)
    assert VIEWED in viewed and "一生一策" in viewed
    assert question in viewed
    started = await chat.say(START)
    assert IN_PROGRESS in started and question in started
    assert await _all(session, Alert) == []


@pytest.mark.parametrize("at", [step for step, _, _ in VISIT])
async def test_a_command_at_any_visit_step_is_answered_and_the_step_asked_again(
    chat: Chat, session: AsyncSession, zhang: int, at: str
) -> None:
    reply = await chat.say("记录")
    for step, question, answer in VISIT:
        assert question in reply
        if step == at:
            await _interrupt(chat, session, question)
        reply = await chat.say(answer)

    assert "已保存" in reply
    [log] = await _all(session, VisitLog)
    assert (log.student_id, log.kind, log.place) == (zhang, "谈心谈话", "办公室")
    assert log.occurred_at == datetime(2026, 11, 22, 15, 0, tzinfo=SHANGHAI)
    assert (log.summary, log.effect) == ("查看了寝室，记录一下作息", "保持稳定")
    assert (log.risk, log.risk_description) == (True, "夜里失眠")
    assert log.follow_up == "记录一下期末安排"
    [alert] = await _all(session, Alert)
    assert (alert.student_id, alert.detail) == (zhang, "夜里失眠")


@pytest.mark.parametrize("at", [step for step, _, _ in WEEKLY])
async def test_a_command_at_any_weekly_step_is_answered_and_the_step_asked_again(
    chat: Chat, session: AsyncSession, zhang: int, at: str
) -> None:
    reply = await chat.say("周报")
    for step, question, answer in WEEKLY:
        assert question in reply
        if step == at:
            await _interrupt(chat, session, question)
        reply = await chat.say(answer)

    [report] = await _all(session, WeeklyReport)
    assert (report.student_id, report.status) == (zhang, "波动")
    assert report.note == "查看了寝室，作息正常"


async def test_a_crisis_in_a_command_mid_form_is_still_screened(
    chat: Chat, session: AsyncSession, zhang: int
) -> None:
    for answer in ("记录", "张三", "谈心", "今天", "办公室"):
        await chat.say(answer)

    reply = await chat.say("记录 张三 他说不想活了")

    assert "已立即通知" in reply and IN_PROGRESS in reply and "请简要记录" in reply
    [alert] = await _all(session, Alert)
    assert alert.student_id == zhang and "不想活" in (alert.detail or "")
    assert await _all(session, VisitLog) == []


async def test_a_form_command_after_a_pause_keeps_the_waiting_draft(
    chat: Chat, clock: FakeClock
) -> None:
    await chat.say("记录")
    await chat.say("张三")
    clock.advance(minutes=31)

    again = await chat.say("记录")
    viewed = await chat.say(VIEW)
    resumed = await chat.say("继续")

    assert "未完成" in again and "请选择学生" not in again
    assert "未完成" in viewed and VIEWED in viewed
    assert "哪种帮扶" in resumed
