"""求助 longer than what is forwarded: the student is told how much their teacher sees; a
student without a team is answered by their college."""

from __future__ import annotations

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.settings import Settings
from handlers.aid.help_request import LONGEST
from storage.models import AidApplication
from tests.fakes.chat import Chat
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_student
from tests.handlers.aid.flow import inbox, sim_client, team_roster


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, int]:
    return await team_roster(session)


async def test_a_long_help_request_says_it_was_shortened(
    settings: Settings, clock: FakeClock, people: dict[str, int]
) -> None:
    app = create_app(settings, clock=clock, run_outbox=False)
    async with sim_client(app) as client:
        student = Chat(client, "S001")
        long_reply = await student.say("求助 " + "想" * (LONGEST + 200))
        short_reply = await student.say("求助 想找老师聊聊")
        await app.state.outbox.drain()

        assert f"前 {LONGEST} 个字" in long_reply
        assert "个字" not in short_reply
        first, _ = await inbox(client, "T001")
        assert "想" * LONGEST in first and "想" * (LONGEST + 1) not in first


async def test_a_student_without_a_team_is_answered_by_their_college(
    settings: Settings, clock: FakeClock, session: AsyncSession, people: dict[str, int]
) -> None:
    """Most students have no 1+1+1 team: their 求助 and 申请补助 go to an admin of their
    college (the school's when the college has none), who may decide; a student whose
    college and school have no admin hears that no one is registered yet."""
    await make_student(session, name="赵六", code="S004")  # 计算机学院, no team
    await session.commit()
    app = create_app(settings, clock=clock, run_outbox=False)
    async with sim_client(app) as client:
        student, admin = Chat(client, "S004"), Chat(client, "A001")
        asked = await student.say("求助 最近压力很大，想找老师聊聊")
        await student.say("申请补助")
        await student.say("家里突发变故，生活费不够")
        await student.say("一千元生活补助")
        applied = await student.say("确认")
        await app.state.outbox.drain()
        notices = await inbox(client, "A001")
        [application] = (await session.exec(select(AidApplication))).all()
        decided = await admin.say(f"同意 {application.id} 已批准")
        await app.state.outbox.drain()

        assert "周院长" in asked and "周院长" in applied
        assert any("压力很大" in notice for notice in notices)
        assert application.teacher_id == people["A001"]
        assert "已" in decided and any("同意" in m for m in await inbox(client, "S004"))
        assert "还没有登记" in await Chat(client, "S003").say("求助 想聊聊")  # 文学院
