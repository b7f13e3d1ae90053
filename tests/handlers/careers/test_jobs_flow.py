"""Jobs through the simulator: an officer publishes by form and pushes; students list, apply
and see their applications; the officer is told, 1:1, with the student's name and class only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.settings import Settings
from storage.models import JobApplication, JobPosting, Person
from storage.outreach.subscriptions import set_subscription
from tests.fakes.chat import Chat
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student

# FakeClock starts on 2026-11-23: the 2026-27 academic year, whose final-year class graduates 2027.
GRADUATING = 2027


async def _student(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    major: str,
    year: int = GRADUATING,
    categories: tuple[str, ...] = ("orphan",),
) -> Person:
    person = await make_student(
        session, name=name, code=code, class_name="计科2301", categories=categories
    )
    person.major, person.graduation_year = major, year
    session.add(person)
    return person


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, int]:
    found = {
        "J001": await make_staff(session, name="赵老师", code="J001", roles=("career_guidance",)),
        "T001": await make_staff(session, name="王老师", code="T001", roles=("counsellor",)),
        "S001": await _student(session, code="S001", name="张三", major="计算机科学与技术"),
        "S002": await _student(session, code="S002", name="李四", major="计算机科学与技术"),
        "S003": await _student(session, code="S003", name="王五", major="汉语言文学"),
        "S004": await _student(
            session, code="S004", name="赵六", major="计算机科学与技术", categories=()
        ),
        "S005": await _student(
            session, code="S005", name="钱七", major="计算机科学与技术", year=GRADUATING + 1
        ),
    }
    await session.commit()
    return {code: person.id for code, person in found.items() if person.id is not None}


@asynccontextmanager
async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A simulator client for an app whose outbox the test drains by hand."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield client


async def _inbox(client: httpx.AsyncClient, code: str) -> list[dict[str, object]]:
    response = await client.get("/sim/api/inbox", params={"user": code})
    assert response.status_code == 200
    messages: list[dict[str, object]] = response.json()["messages"]
    return messages


async def _publish(officer: Chat) -> str:
    assert "岗位名称" in await officer.say("发布岗位")
    await officer.say("软件测试工程师")
    await officer.say("星辰科技有限公司")
    await officer.say("杭州")
    await officer.say("8000-10000元/月")
    await officer.say("计算机科学与技术，软件工程")
    await officer.say("12月20日")
    await officer.say("投递简历到 hr@example.com")
    summary = await officer.say("https://example.com/jobs/1?a=1&b=<x>")
    assert "6. 截止日期：12月20日" in summary
    return await officer.say("确认")


async def test_officer_publishes_pushes_student_applies_and_officer_is_told(
    settings: Settings, clock: FakeClock, session: AsyncSession, people: dict[str, int]
) -> None:
    app = create_app(settings, clock=clock, run_outbox=False)
    async with _client(app) as client:
        officer = Chat(client, "J001")
        published = await _publish(officer)
        [posting] = (await session.exec(select(JobPosting))).all()
        assert f"已发布岗位 {posting.id}" in published
        assert (posting.deadline, posting.majors) == (
            date(2026, 12, 20),
            "计算机科学与技术、软件工程",
        )
        assert posting.publisher_id == people["J001"]
        [(key, label)] = officer.buttons
        assert (key, label) == (f"jobs:push:{posting.id}", "推送")

        pushed = await officer.press(key)
        await app.state.outbox.drain()
        assert "已一对一推送给 2 位同学" in pushed
        students = [code for code in people if code.startswith("S")]
        inboxes = {code: await _inbox(client, code) for code in students}
        received = {code for code, messages in inboxes.items() if messages}
        assert received == {"S001", "S002"}
        [card] = inboxes["S001"]
        assert card["kind"] == "card" and "软件测试工程师" in str(card["text"])
        for reason in ("孤儿", "帮扶", "特殊", "毕业班"):
            assert reason not in str(card["text"])

        student = Chat(client, "S001")
        listing = await student.say("岗位")
        assert f"{posting.id}. 软件测试工程师" in listing and "对口专业" in listing
        assert "已记下你对岗位" in await student.press(f"jobs:apply:{posting.id}")
        assert "已经报名过" in await student.say(f"报名 {posting.id}")
        assert "软件测试工程师" in await student.say("我的报名")
        await app.state.outbox.drain()

        [notice] = [
            message
            for message in await _inbox(client, "J001")
            if "报名了岗位" in str(message["text"])
        ]
        assert notice["text"] == (
            f"张三（计科2301）报名了岗位 {posting.id}："
            "软件测试工程师（星辰科技有限公司），请及时联系。"
        )
        await session.rollback()
        [application] = (await session.exec(select(JobApplication))).all()
        assert application.student_id == people["S001"]


async def test_push_respects_unsubscribing_and_a_second_push_adds_nobody(
    settings: Settings, clock: FakeClock, session: AsyncSession, people: dict[str, int]
) -> None:
    await set_subscription(session, people["S002"], "岗位", False, clock.now())
    await session.commit()
    app = create_app(settings, clock=clock, run_outbox=False)
    async with _client(app) as client:
        officer = Chat(client, "J001")
        await _publish(officer)
        [posting] = (await session.exec(select(JobPosting))).all()

        first = await officer.say(f"推送岗位 {posting.id}")
        second = await officer.say(f"推送岗位 {posting.id}")
        await app.state.outbox.drain()

        assert "推送给 1 位同学" in first and "1 位已退订" in first
        assert "这次没有需要新推送的同学" in second
        assert len(await _inbox(client, "S001")) == 1
        assert await _inbox(client, "S002") == []


async def test_only_officers_and_admins_publish_and_push(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    assert "无权限" in await Chat(client, "T001").say("发布岗位")
    assert "无权限" in await Chat(client, "S001").say("发布岗位")
    assert "无权限" in await Chat(client, "S001").say("推送岗位 1")
    assert "岗位名称" in await Chat(client, "J001").say("发布岗位")


async def test_a_deadline_that_names_no_day_is_asked_again_keeping_the_rest(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    officer = Chat(client, "J001")
    await officer.say("发布岗位")
    for answer in ("运营专员", "晨光文化公司", "上海", "跳过", "跳过", "下个月", "现场报名"):
        await officer.say(answer)
    await officer.say("跳过")

    again = await officer.say("确认")

    assert "没看懂截止日期「下个月」" in again and "截止日期是哪天" in again
    assert "6. 截止日期：2027-01-05" in await officer.say("2027-01-05")
    await officer.say("确认")
    [posting] = (await session.exec(select(JobPosting))).all()
    assert (posting.title, posting.majors, posting.salary) == ("运营专员", "", None)
    assert posting.deadline == date(2027, 1, 5)


async def test_a_link_that_is_no_web_address_is_asked_again(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    """Students see the link: only http(s) addresses, never `javascript:` or the like."""
    officer = Chat(client, "J001")
    await officer.say("发布岗位")
    for answer in ("运营专员", "晨光文化公司", "上海", "跳过", "跳过", "2027-01-05", "现场报名"):
        await officer.say(answer)
    await officer.say("javascript:alert(1)")

    again = await officer.say("确认")

    assert "不是网址" in again and (await session.exec(select(JobPosting))).all() == []
    summary = await officer.say("https://example.com/jobs/2")
    assert "8. 链接：https://example.com/jobs/2" in summary
    await officer.say("确认")
    await session.rollback()  # a fresh look: the first one held its snapshot
    [posting] = (await session.exec(select(JobPosting))).all()
    assert posting.link == "https://example.com/jobs/2"
