"""Whole conversations over real (encrypted) WeCom callbacks: a mentor logs a visit by the
form, by one line and by a reminder card's button; a student's crisis words reach people."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.envelopes import Button, Outbound
from storage.db import session_scope
from storage.messaging import outbox
from storage.models import Alert, VisitLog
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student
from tests.fakes.wecom import FakeWeComServer
from tests.fakes.wecom_callbacks import CallbackBuilder, fake_server, running_app, wecom_settings

URL = "/wecom/callback"
MENTOR, STUDENT, COUNSELLOR = "WangLaoShi", "XiaoMing", "LiFuDaoYuan"


@dataclass
class WeComChat:
    """Talk to the bot as one WeCom user; read passive replies and API deliveries alike."""

    app: FastAPI
    client: httpx.AsyncClient
    callbacks: CallbackBuilder
    fake: FakeWeComServer
    user: str
    seen: int = 0

    async def say(self, content: str) -> str:
        return await self._post(self.callbacks.text(self.user, content))

    async def click(self, key: str) -> str:
        card = self.last_card()
        callback = self.callbacks.card_click(
            self.user, key, task_id=card["task_id"], response_code=card["response_code"]
        )
        return await self._post(callback)

    async def _post(self, callback: Any) -> str:
        response = await self.client.post(URL, params=callback.params, content=callback.body)
        assert response.status_code == 200, response.text
        texts = []
        if response.content:
            reply = self.callbacks.open_reply(response.content)
            texts.append(json.dumps(reply, ensure_ascii=False))
        await self.app.state.outbox.drain()
        texts += [_text(content) for content in self.fake.contents_for(self.user)[self.seen :]]
        self.seen = len(self.fake.contents_for(self.user))
        return "\n".join(texts)

    def last_card(self) -> dict[str, Any]:
        cards = [c for c in self.fake.contents_for(self.user) if isinstance(c, dict)]
        card = dict(cards[-1])
        sends = [
            call for call in self.fake.sends() if call.answer and "response_code" in call.answer
        ]
        card["response_code"] = sends[-1].answer["response_code"]
        return card


def _text(content: Any) -> str:
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


@pytest.fixture
def fake(clock: FakeClock) -> FakeWeComServer:
    return fake_server(clock, MENTOR, STUDENT, COUNSELLOR)


@pytest.fixture
async def wecom(
    database_url: str, clock: FakeClock, fake: FakeWeComServer, engine: AsyncEngine
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with running_app(wecom_settings(database_url, DATA_KEY), clock, fake) as pair:
        yield pair


@pytest.fixture
async def team(session: AsyncSession) -> dict[str, int]:
    mentor = await make_staff(session, name="王老师", roles=("academic_mentor",), wecom=MENTOR)
    counsellor = await make_staff(session, name="李导员", roles=("counsellor",), wecom=COUNSELLOR)
    student = await make_student(
        session,
        name="小明",
        code="2023000777",
        class_name="计科2301",
        wecom=STUDENT,
        team={"academic_mentor": mentor, "student_affairs": counsellor},
    )
    await session.commit()
    return {"mentor": mentor.id or 0, "student": student.id or 0}


def _chat(
    wecom: tuple[FastAPI, httpx.AsyncClient], fake: FakeWeComServer, clock: FakeClock, user: str
) -> WeComChat:
    return WeComChat(wecom[0], wecom[1], CallbackBuilder(clock), fake, user)


async def _logs(session: AsyncSession) -> list[VisitLog]:
    await session.rollback()
    return list((await session.exec(select(VisitLog))).all())


async def test_a_mentor_logs_a_visit_by_the_form_over_wecom(
    wecom: tuple[FastAPI, httpx.AsyncClient],
    fake: FakeWeComServer,
    clock: FakeClock,
    team: dict[str, int],
    session: AsyncSession,
) -> None:
    chat = _chat(wecom, fake, clock, MENTOR)

    assert "请选择学生" in await chat.say("记录")
    assert "哪种帮扶" in await chat.click("form:choice:0")  # the card's button
    for answer in ("谈心", "今天", "跳过", "聊了期末复习计划", "2", "无", "跳过"):
        await chat.say(answer)
    assert "已保存" in await chat.say("确认")

    [log] = await _logs(session)
    assert (log.student_id, log.kind, log.summary) == (
        team["student"],
        "谈心谈话",
        "聊了期末复习计划",
    )


async def test_a_mentor_logs_a_visit_in_one_line_over_wecom(
    wecom: tuple[FastAPI, httpx.AsyncClient],
    fake: FakeWeComServer,
    clock: FakeClock,
    team: dict[str, int],
    session: AsyncSession,
) -> None:
    chat = _chat(wecom, fake, clock, MENTOR)

    confirm = await chat.say("记录 小明 走访 今天 寝室 宿舍整洁，作息规律 效果稳定 无风险")
    saved = await chat.say("确认")

    assert "请核对" in confirm and "宿舍整洁，作息规律" in confirm
    assert "已保存" in saved
    [log] = await _logs(session)
    assert (log.kind, log.place, log.effect, log.risk) == ("走访寝室", "寝室", "保持稳定", False)


async def test_a_reminder_cards_button_starts_a_prefilled_log_over_wecom(
    wecom: tuple[FastAPI, httpx.AsyncClient],
    fake: FakeWeComServer,
    clock: FakeClock,
    team: dict[str, int],
    sessions: Any,
    session: AsyncSession,
) -> None:
    button = Button(f"visit:start:{team['student']}:走访寝室", "小明")
    reminder = Outbound(kind="card", title="今日提醒", text="小明该走访寝室了", buttons=(button,))
    async with session_scope(sessions) as writer:
        await outbox.enqueue(
            writer,
            channel="wecom",
            person_id=team["mentor"],
            recipient=MENTOR,
            payload=reminder.to_payload(),
            idempotency_key="reminder:test",
            now=clock.now(),
        )
    chat = _chat(wecom, fake, clock, MENTOR)
    await wecom[0].state.outbox.drain()
    chat.seen = len(fake.contents_for(MENTOR))

    question = await chat.click(button.key)
    for answer in ("今天", "跳过", "看望了小明，状态不错", "1", "无", "跳过"):
        await chat.say(answer)
    await chat.say("确认")

    assert "什么时候" in question  # student and kind were prefilled
    [log] = await _logs(session)
    assert (log.student_id, log.kind, log.place) == (team["student"], "走访寝室", "寝室")


async def test_a_students_crisis_words_bring_the_hotline_and_alert_the_counsellor(
    wecom: tuple[FastAPI, httpx.AsyncClient],
    fake: FakeWeComServer,
    clock: FakeClock,
    team: dict[str, int],
    session: AsyncSession,
) -> None:
    reply = await _chat(wecom, fake, clock, STUDENT).say("我最近真的不想活了")

    assert "400-161-9995" in reply
    await session.rollback()
    [alert] = (await session.exec(select(Alert))).all()
    assert alert.student_id == team["student"]
    counsellor_cards = [c for c in fake.contents_for(COUNSELLOR) if isinstance(c, dict)]
    assert counsellor_cards and "小明" in json.dumps(counsellor_cards[-1], ensure_ascii=False)
    assert fake.contents_for(MENTOR) == []  # level 1: student-affairs teacher, admins, centre
