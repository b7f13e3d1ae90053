"""上报 through the simulator: a 心理委员 or 寝室长 tells a classmate's counsellor of a concern,
1:1; the classmate is never told who reported; others may not report; crisis words raise a
safety alert about the classmate."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.settings import Settings
from storage.models import Alert, ConcernReport, PersonRole, Role
from tests.fakes.chat import Chat
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_student
from tests.handlers.aid.flow import inbox, sim_client, team_roster


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, int]:
    found = await team_roster(session)
    committee = await make_student(session, name="赵委员", code="C001")
    dorm_head = await make_student(
        session, name="钱室长", code="D001", class_name="计科2302", dorm="西区1栋101"
    )
    assert committee.id is not None and dorm_head.id is not None
    session.add(PersonRole(person_id=committee.id, role=Role.PSYCH_COMMITTEE))
    session.add(PersonRole(person_id=dorm_head.id, role=Role.DORM_HEAD))
    await session.commit()
    return found | {"C001": committee.id, "D001": dorm_head.id}


async def test_a_committee_member_reports_a_classmate_to_their_counsellor(
    settings: Settings, clock: FakeClock, session: AsyncSession, people: dict[str, int]
) -> None:
    app = create_app(settings, clock=clock, run_outbox=False)
    async with sim_client(app) as client:
        reply = await Chat(client, "C001").say("上报 张三 这几天总是一个人待着，饭也吃得很少")
        await app.state.outbox.drain()

        assert "已经一对一转告负责张三的老师" in reply and "不会告诉张三" in reply
        assert "孤儿" not in reply and "王芳" not in reply
        [notice] = await inbox(client, "T001")
        assert "赵委员" in notice and "饭也吃得很少" in notice
        assert await inbox(client, "S001") == []
        assert await inbox(client, "T002") == [] and await inbox(client, "P001") == []
        [stored] = (await session.exec(select(ConcernReport))).all()
        assert (stored.student_id, stored.reporter_id, stored.teacher_id) == (
            people["S001"],
            people["C001"],
            people["T001"],
        )


async def test_only_network_members_report_and_only_about_their_class_or_dorm(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    assert "无权限" in await Chat(client, "S002").say("上报 张三 不太对劲")
    assert "无权限" in await Chat(client, "P001").say("上报 张三 不太对劲")
    assert "没有在你的班级或寝室里找到" in await Chat(client, "D001").say("上报 张三 不太对劲")
    assert "没有在你的班级或寝室里找到" in await Chat(client, "C001").say("上报 王五 不太对劲")
    assert "请写上同学的姓名" in await Chat(client, "C001").say("上报 张三")
    assert (await session.exec(select(ConcernReport))).all() == []


async def test_crisis_words_in_a_report_raise_an_alert_about_the_classmate(
    settings: Settings, clock: FakeClock, session: AsyncSession, people: dict[str, int]
) -> None:
    app = create_app(settings, clock=clock, run_outbox=False)
    async with sim_client(app) as client:
        reply = await Chat(client, "C001").say("上报 张三 他说不想活了")
        await app.state.outbox.drain()

        assert "心理中心" in reply and "我很在意你的感受" not in reply
        alerts = (await session.exec(select(Alert))).all()
        # one alert, about the classmate: the reporter is not taken for the one at risk
        assert [alert.student_id for alert in alerts] == [people["S001"]]
        assert len(await inbox(client, "T001")) == 1  # the alert card
        assert await inbox(client, "S001") == []


async def test_crisis_words_in_a_report_that_names_no_one_still_raise_an_alert(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    """A report refused (not a network member, no such classmate) is screened as any
    student's message: the writer hears the hotline and the alert is about them."""
    refused = await Chat(client, "S002").say("上报 张三 我也不想活了")
    unmatched = await Chat(client, "C001").say("上报 王五 不想活了")

    assert "无权限" in refused and "400-161-9995" in refused
    assert "没有在你的班级或寝室里找到" in unmatched and "400-161-9995" in unmatched
    alerts = (await session.exec(select(Alert))).all()
    assert sorted(alert.student_id or 0 for alert in alerts) == sorted(
        [people["S002"], people["C001"]]
    )


async def test_help_shows_the_report_command_to_network_members_only(
    client: httpx.AsyncClient, people: dict[str, int]
) -> None:
    committee = await Chat(client, "C001").say("帮助")
    classmate = await Chat(client, "S001").say("帮助")

    assert "上报 张三 情况" in committee and "上报" not in classmate
    assert "心理委员" in await Chat(client, "C001").say("我是谁")


async def test_a_report_about_a_classmate_without_a_team_reads_the_same(
    settings: Settings, clock: FakeClock, session: AsyncSession, people: dict[str, int]
) -> None:
    """Whether a classmate has a 1+1+1 team (is in care) never shows in the reporter's reply:
    a classmate without one is reported to their college's admins, in the same words."""
    await make_student(session, name="孙七", code="S009")
    await session.commit()
    app = create_app(settings, clock=clock, run_outbox=False)
    async with sim_client(app) as client:
        member = Chat(client, "C001")
        in_care = await member.say("上报 张三 这几天总是一个人待着")
        not_in_care = await member.say("上报 孙七 这几天总是一个人待着")
        await app.state.outbox.drain()

        assert not_in_care == in_care.replace("张三", "孙七")
        [notice] = await inbox(client, "A001")
        assert "孙七" in notice and "赵委员" in notice
        assert await inbox(client, "S009") == []
