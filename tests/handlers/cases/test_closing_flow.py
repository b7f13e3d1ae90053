"""Closing a case file: a mentor proposes, the student-affairs teacher approves or rejects (a
card with buttons); a closed file is read-only and its reminders stop until 恢复建档."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.settings import Settings
from storage.models import CaseClosure
from tests.fakes.chat import Chat
from tests.fakes.clock import FakeClock
from tests.handlers.aid.flow import inbox, sim_client
from tests.handlers.cases.flow import audit_actions, college, stored_file

REASON = "连续两学期学业稳定，经济困难已解决"


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, int]:
    return await college(session)


async def _closures(session: AsyncSession) -> list[CaseClosure]:
    await session.rollback()
    return list((await session.exec(select(CaseClosure).order_by(CaseClosure.id))).all())


async def test_a_mentor_proposes_the_teacher_approves_and_reminders_stop_until_reopened(
    settings: Settings,
    clock: FakeClock,
    engine: AsyncEngine,
    session: AsyncSession,
    people: dict[str, int],
) -> None:
    app = create_app(settings, clock=clock, run_outbox=False)
    async with sim_client(app) as client:
        teacher, mentor = Chat(client, "T001"), Chat(client, "M001")
        assert "张三" in await teacher.say("待办")
        proposed = await mentor.say(f"建议撤销建档 张三 {REASON}")
        await app.state.outbox.drain()
        assert "王芳老师" in proposed
        [closure] = await _closures(session)
        card = (await inbox(client, "T001"))[-1]
        assert f"编号 {closure.id}" in card and REASON in card and "刘导师" in card
        for other in ("P001", "T002", "S001"):
            assert not any(REASON in message for message in await inbox(client, other))

        assert "无权限" in await Chat(client, "T002").say(f"批准 {closure.id}")
        approved = await teacher.say(f"批准 {closure.id}")
        await app.state.outbox.drain()
        assert "已批准" in approved and "只读" in approved
        notice = (await inbox(client, "M001"))[-1]
        assert "已由王芳老师批准" in notice

        [closure] = await _closures(session)
        assert (closure.status, closure.decided_by, closure.proposer_id, closure.reason) == (
            "approved",
            people["T001"],
            people["M001"],
            REASON,
        )
        assert closure.decided_at == clock.now()
        case = await stored_file(session, people["S001"])
        assert case is not None and (case.status, case.closed_at) == ("closed", clock.now())

        todo = await teacher.say("待办")
        assert "张三" not in todo and "李四" in todo
        assert "已撤销建档" in await teacher.say("修改档案 张三 方案")
        shown = await teacher.say("档案 张三")
        assert "已撤销建档" in shown and teacher.buttons == []
        assert "已经撤销建档" in await mentor.say(f"建议撤销建档 张三 {REASON}")
        assert "无权限" in await mentor.say("恢复建档 张三")

        assert "已恢复" in await teacher.say("恢复建档 张三")
        assert "张三" in await teacher.say("待办")
        case = await stored_file(session, people["S001"])
        assert case is not None and (case.status, case.closed_at) == ("open", None)
        assert case.close_suggested is False
    actions = await audit_actions(session)
    assert ("denied_case_decision", people["T002"], people["S001"]) in actions
    assert ("denied_case_reopen", people["M001"], people["S001"]) in actions
    for action in ("case_close_proposed", "case_close_approved", "case_file_reopened"):
        assert action in [a for a, _, _ in actions]


async def test_the_teacher_proposes_and_rejects_with_a_reason(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    teacher = Chat(client, "T001")
    proposed = await teacher.say("建议撤销建档 李四 状况稳定")
    [closure] = await _closures(session)
    assert f"批准 {closure.id}" in proposed and "负责处理" in proposed
    assert "不必重复" in await teacher.say("建议撤销建档 李四 再提一次")
    assert "已驳回" in await teacher.say(f"驳回 {closure.id} 还需观察一学期")
    assert "没有找到" in await teacher.say(f"驳回 {closure.id} 再驳一次")
    [closure] = await _closures(session)
    assert (closure.status, closure.decision_note, closure.decided_by) == (
        "rejected",
        "还需观察一学期",
        people["T001"],
    )
    case = await stored_file(session, people["S002"])
    assert case is None or case.status == "open"


async def test_the_approve_button_closes_and_peers_and_students_may_not_propose(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    for code in ("P001", "S001"):
        assert "无权限" in await Chat(client, code).say(f"建议撤销建档 张三 {REASON}")
    assert "无权限" in await Chat(client, "A002").say(f"建议撤销建档 张三 {REASON}")
    assert await _closures(session) == []
    await Chat(client, "M001").say(f"建议撤销建档 张三 {REASON}")
    [closure] = await _closures(session)
    assert "无权限" in await Chat(client, "M001").press(f"case:approve:{closure.id}")
    assert "已批准" in await Chat(client, "T001").press(f"case:approve:{closure.id}")
    case = await stored_file(session, people["S001"])
    assert case is not None and case.status == "closed"
    denied = [a for a, actor, _ in await audit_actions(session) if a.startswith("denied")]
    assert denied == [
        "denied_case_file",
        "denied_case_file",
        "denied_view_student",
        "denied_case_decision",
    ]


async def test_approve_without_a_proposal_is_the_broadcast_approval(
    client: httpx.AsyncClient, people: dict[str, int]
) -> None:
    assert "没有等待批准的群发 7" in await Chat(client, "A001").say("批准 7")
