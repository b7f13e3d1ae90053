"""Surveys through the simulator: an officer sends the employment-intention survey, students
answer in chat (resumably), and 调查结果 counts the answers and names who has not answered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.settings import Settings
from storage.models import Person, Survey, SurveyAnswer
from tests.fakes.chat import Chat
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student


async def _student(session: AsyncSession, code: str, name: str, year: int) -> Person:
    person = await make_student(session, name=name, code=code, class_name="计科2301")
    person.graduation_year, person.grade = year, str(year - 4)
    session.add(person)
    return person


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, int]:
    found = {
        "J001": await make_staff(session, name="赵老师", code="J001", roles=("career_guidance",)),
        "S001": await _student(session, "S001", "张三", 2027),
        "S002": await _student(session, "S002", "李四", 2027),
        "S003": await _student(session, "S003", "王五", 2028),
        "G001": await _student(session, "G001", "孙八", 2026),
    }
    await session.commit()
    return {code: person.id for code, person in found.items() if person.id is not None}


@asynccontextmanager
async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield client


async def _invited(client: httpx.AsyncClient, code: str) -> list[str]:
    response = await client.get("/sim/api/inbox", params={"user": code})
    return [
        button["key"]
        for message in response.json()["messages"]
        for button in message.get("buttons", [])
        if button["key"].startswith("survey:start:")
    ]


async def test_the_intention_survey_is_sent_answered_resumed_and_counted(
    settings: Settings, clock: FakeClock, session: AsyncSession, people: dict[str, int]
) -> None:
    app = create_app(settings, clock=clock, run_outbox=False)
    async with _client(app) as client:
        officer = Chat(client, "J001")
        sent = await officer.say("发起调查 就业意向")
        await app.state.outbox.drain()
        [survey] = (await session.exec(select(Survey))).all()
        assert f"调查 {survey.id}（毕业去向意向调查）已一对一发给 2 位同学" in sent
        invited = {code: await _invited(client, code) for code in ("S001", "S002", "S003", "G001")}
        assert invited == {
            "S001": [f"survey:start:{survey.id}"],
            "S002": [f"survey:start:{survey.id}"],
            "S003": [],
            "G001": [],
        }

        student = Chat(client, "S001")
        question = await student.press(f"survey:start:{survey.id}")
        assert "毕业后你最想走哪条路" in question
        assert [label for _, label in student.buttons] == [
            "就业",
            "考研",
            "考公",
            "出国",
            "创业",
            "待定",
        ]
        await student.press("form:choice:1")  # 考研
        clock.advance(hours=2)
        assert "继续" in await student.say("简历指导")  # a pause: the draft waits
        assert "你最需要学校提供哪些帮助" in await student.say("继续")
        await student.say("简历指导和面试辅导")
        assert "已收到你的「毕业去向意向调查」答卷" in await student.say("确认")
        assert "已经填写过" in await student.say(f"参加调查 {survey.id}")

        results = await officer.say(f"调查结果 {survey.id}")
        assert "已填写 1 / 2 人" in results
        assert "【毕业去向】就业 0，考研 1，考公 0，出国 0，创业 0，待定 0" in results
        assert "还没有填写：李四（计科2301）" in results
        assert "张三" not in results

        assert "已提醒 1 位" in await officer.say(f"催办 {survey.id}")  # as for notices
        assert "24 小时内已经提醒过了" in await officer.say(f"调查催办 {survey.id}")
        await app.state.outbox.drain()
        assert len(await _invited(client, "S002")) == 2  # the invitation, then the reminder
        assert len(await _invited(client, "S001")) == 1  # answered: not reminded

        assert "没有找到发给你" in await Chat(client, "S003").say(f"参加调查 {survey.id}")
        assert "没有找到你发起" in await Chat(client, "S002").say(f"调查结果 {survey.id}")

    await session.rollback()
    answers = {a.question: a for a in (await session.exec(select(SurveyAnswer))).all()}
    assert (answers["intention"].choice, answers["intention"].text) == ("考研", None)
    assert answers["help"].text == "简历指导和面试辅导"


async def test_filters_narrow_the_survey_and_bad_ones_are_explained(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    officer = Chat(client, "J001")

    assert "已一对一发给 1 位同学" in await officer.say("发起调查 满意度")
    assert "不认识筛选条件「宿舍」" in await officer.say("发起调查 就业意向 宿舍=东区")
    assert "可以发起的调查：就业意向、满意度" in await officer.say("发起调查 体检")
    assert "已一对一发给 1 位同学" in await officer.say("发起调查 就业意向 年级=2024")
    assert "无权限" in await Chat(client, "S001").say("发起调查 就业意向")
