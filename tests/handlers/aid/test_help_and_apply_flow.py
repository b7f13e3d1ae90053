"""求助 and 申请补助 through the simulator: the student's words reach their own student-affairs
teacher 1:1 (never the peer mentor or another teacher), the student hears who will answer,
the teacher's 同意 / 不同意 comes back to the student, and the text is stored encrypted."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.settings import Settings
from storage.models import AidApplication, AidStatus, Alert, HelpRequest
from tests.fakes.chat import Chat
from tests.fakes.clock import FakeClock
from tests.handlers.aid.flow import inbox, sim_client, team_roster


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, int]:
    return await team_roster(session)


async def test_help_request_reaches_only_the_students_own_teacher(
    settings: Settings,
    clock: FakeClock,
    engine: AsyncEngine,
    session: AsyncSession,
    people: dict[str, int],
) -> None:
    app = create_app(settings, clock=clock, run_outbox=False)
    async with sim_client(app) as client:
        reply = await Chat(client, "S001").say("求助 最近作业压力大，想找老师聊聊 MARKER_HELP")
        await app.state.outbox.drain()

        assert "王芳老师" in reply and "一对一" in reply
        [notice] = await inbox(client, "T001")
        assert "张三（计科2301）" in notice and "最近作业压力大" in notice
        for other in ("T002", "P001", "A001", "S002"):
            assert await inbox(client, other) == []
        [request] = (await session.exec(select(HelpRequest))).all()
        assert (request.student_id, request.teacher_id) == (people["S001"], people["T001"])
        async with engine.connect() as connection:
            raw = repr((await connection.execute(text("SELECT * FROM help_request"))).all())
        assert "MARKER_HELP" not in raw


async def test_help_request_with_crisis_words_takes_the_crisis_path_once(
    settings: Settings, clock: FakeClock, session: AsyncSession, people: dict[str, int]
) -> None:
    app = create_app(settings, clock=clock, run_outbox=False)
    async with sim_client(app) as client:
        reply = await Chat(client, "S001").say("求助 我不想活了")
        await app.state.outbox.drain()

        assert "热线" in reply and "王芳" not in reply
        [alert] = (await session.exec(select(Alert))).all()
        assert alert.student_id == people["S001"]
        assert (await session.exec(select(HelpRequest))).all() == []
        teacher_sees = await inbox(client, "T001")
        assert len(teacher_sees) == 1 and "同学求助" not in teacher_sees[0]


async def test_help_without_a_teacher_or_words_is_explained_and_staff_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    assert "还没有登记" in await Chat(client, "S003").say("求助 想聊聊")
    assert "写在「求助」后面" in await Chat(client, "S001").say("求助")
    assert "给同学们用的" in await Chat(client, "T001").say("求助 想聊聊")
    assert (await session.exec(select(HelpRequest))).all() == []


async def _apply(student: Chat) -> str:
    assert "遇到了什么困难" in await student.say("申请补助")
    assert "需要什么样的帮助" in await student.say("家里突发变故 MARKER_REASON")
    summary = await student.say("补助生活费 1000 元")
    assert "补助生活费" in summary
    return await student.say("确认")


async def test_aid_application_is_decided_by_the_teacher_and_the_student_hears_back(
    settings: Settings,
    clock: FakeClock,
    engine: AsyncEngine,
    session: AsyncSession,
    people: dict[str, int],
) -> None:
    app = create_app(settings, clock=clock, run_outbox=False)
    async with sim_client(app) as client:
        sent = await _apply(Chat(client, "S001"))
        await app.state.outbox.drain()
        assert "王芳老师" in sent
        [application] = (await session.exec(select(AidApplication))).all()
        [notice] = await inbox(client, "T001")
        assert f"补助申请 {application.id}" in notice and "家里突发变故" in notice
        assert await inbox(client, "P001") == [] and await inbox(client, "T002") == []

        refused = await Chat(client, "T002").say(f"同意 {application.id} 好")
        peer = await Chat(client, "P001").say(f"同意 {application.id} 好")
        assert "没有找到需要您处理的补助申请" in refused and "没有找到" in peer
        decided = await Chat(client, "T001").say(f"同意 {application.id} 已按一档发放")
        again = await Chat(client, "T001").say(f"不同意 {application.id} 改主意")
        await app.state.outbox.drain()

        assert "已记录" in decided and "张三" in decided
        assert "已经处理过了" in again
        answer = (await inbox(client, "S001"))[-1]
        assert "王芳老师已经同意了" in answer
        assert "已按一档发放" in answer
        await session.rollback()
        [stored] = (await session.exec(select(AidApplication))).all()
        assert (stored.status, stored.note, stored.decided_by) == (
            AidStatus.APPROVED,
            "已按一档发放",
            people["T001"],
        )
        async with engine.connect() as connection:
            raw = repr((await connection.execute(text("SELECT * FROM aid_application"))).all())
        assert "MARKER_REASON" not in raw and "一档" not in raw


async def test_a_declined_application_tells_the_student_gently(
    settings: Settings, clock: FakeClock, session: AsyncSession, people: dict[str, int]
) -> None:
    app = create_app(settings, clock=clock, run_outbox=False)
    async with sim_client(app) as client:
        await _apply(Chat(client, "S001"))
        [application] = (await session.exec(select(AidApplication))).all()
        await Chat(client, "T001").say(f"不同意 {application.id} 本学期名额已满")
        await app.state.outbox.drain()

        answer = (await inbox(client, "S001"))[-1]
        assert "没有同意" in answer and "本学期名额已满" in answer and "资助" in answer


async def test_only_students_with_a_teacher_may_apply(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    assert "还没有登记" in await Chat(client, "S003").say("申请补助")
    assert "给同学们用的" in await Chat(client, "T001").say("申请补助")
    assert "请写上申请编号" in await Chat(client, "T001").say("同意 abc")


async def test_student_help_lists_the_aid_and_support_commands(
    client: httpx.AsyncClient, people: dict[str, int]
) -> None:
    student = await Chat(client, "S001").say("帮助")
    teacher = await Chat(client, "T001").say("帮助")

    for word in ("资助 ——", "申请补助 ——", "心理 ——", "求助 你想说的话"):
        assert word in student
    assert "发布资助" not in student and "同意 编号" not in student
    assert "发布资助 ——" in teacher and "不同意 编号 备注" in teacher


async def test_mid_form_the_aid_words_are_answers_to_the_form(
    client: httpx.AsyncClient, people: dict[str, int]
) -> None:
    teacher = Chat(client, "T001")
    assert "哪种帮扶" in await teacher.say("记录 张三")
    where = await teacher.say("心理")
    assert "在哪里" in where and "心理热线" not in where
    assert "内容" in await teacher.say("跳过")
    assert "效果评估" in await teacher.say("同意 她先申请勤工助学")
    for answer in ("保持稳定", "无", "跳过"):
        summary = await teacher.say(answer)

    assert "心理疏导" in summary and "同意 她先申请勤工助学" in summary
