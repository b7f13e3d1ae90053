"""Random message sequences never crash the engine, always get an answer, write the draft at
most once per message, leave it valid, and store a visit log only after a confirmation."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Context, HandlerConfig
from handlers.conversation import router
from handlers.conversation.answers import CONFIRM
from handlers.conversation.forms import CONFIRM as FORM_CONFIRM
from handlers.conversation.forms import State
from handlers.envelopes import Inbound
from messages.render import render
from storage.db import session_scope
from storage.messaging import conversations
from storage.models import (
    Alert,
    AuditEntry,
    Conversation,
    OutboxMessage,
    VisitLog,
    WeeklyReport,
)
from storage.people.identify import AccountMatch
from storage.safety.words import default_crisis_words
from tests.fakes.clock import SHANGHAI
from tests.fakes.roster import make_staff, make_student

START = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
CONFIG = HandlerConfig(
    tz=ZoneInfo("Asia/Shanghai"),
    hotline="400-161-9995",
    channels=("simulator",),
    account_match={"simulator": AccountMatch.ROSTER_CODE},  # the simulator's own matching,
    crisis_words=default_crisis_words(),
)
COMMANDS = (
    "记录",
    "记录 张三",
    "记录 王五",
    "记录 张三 谈心 昨天 宿舍 情绪稳定，已申请助学金 效果稳定",
    "记录 李四 走访 今天 聊了聊近况 无风险",
    "记录 张三 心理疏导 今天 聊了聊 有风险",
    "记录 钱七 谈心 今天 聊了聊",
    "周报",
    "我的学生",
    "查看 张三",
    "查看 王五",
    "撤销",
    "我是谁",
    "菜单",
)
UNIVERSAL = ("取消", "上一步", "跳过", "帮助", "?", "修改 1", "修改 7", "修改 12", "继续", "返回")
ANSWERS = (
    "1",
    "2",
    "3",
    "张三",
    "李四",
    "王五",
    "谈心",
    "走访寝室",
    "学习陪伴",
    "今天",
    "昨天下午",
    "3天前",
    "上周三",
    "宿舍",
    "有",
    "无",
    "否",
    "是的",
    "有风险",
    "保持稳定",
    "明显好转",
    "稳定",
    "危险",
)
INVALID = ("0", "99", "-1", "①", "明天", "2099-01-01", "", "　", "随便", "🙂", "a" * 600)
FREE_TEXT = ("聊了聊近况", "宿舍很整洁，作息规律", "最近在准备考研", "查看了寝室卫生")
BUTTONS = tuple(f"form:choice:{n}" for n in range(10))
FORGED = (
    "visit:start:99999999999999999999:谈心谈话",
    "visit:start:①",
    "alert:ack:①",
    "alert:ack:1",
)
PAUSES = (timedelta(minutes=31), timedelta(hours=25))

Step = tuple[str, str]  # ("text" | "button" | "wait", value)
WAITS = tuple(("wait", str(pause.total_seconds())) for pause in PAUSES)
STEPS = st.one_of(  # each kind of message equally likely, however long its list
    *(st.sampled_from([("text", t) for t in words]) for words in (COMMANDS, ANSWERS, INVALID)),
    st.sampled_from([("text", t) for t in UNIVERSAL + FREE_TEXT] + list(WAITS)),
    st.sampled_from([("button", b) for b in BUTTONS + FORGED]),
)
INTERNAL_ERROR = render("internal_error")
_ids = count(1)


WRITE = re.compile(r"^\s*(INSERT INTO|UPDATE|DELETE FROM) conversation\b", re.I)


@dataclass
class Bench:
    sessions: async_sessionmaker[AsyncSession]
    now: datetime = START
    statements: list[str] = field(default_factory=list)
    paused: timedelta = timedelta(0)

    def listen(self, *args: Any) -> None:
        self.statements.append(args[2])

    async def reset(self) -> None:
        """Forget everything a previous example wrote; the roster stays."""
        self.now = START
        async with session_scope(self.sessions) as db:
            for table in (OutboxMessage, AuditEntry, Alert, WeeklyReport, VisitLog, Conversation):
                await db.exec(delete(table))

    async def play(self, user: str, step: Step) -> None:
        """Wait, or send one message and check it was answered without an apology."""
        kind, value = step
        if kind == "wait":
            self.now += timedelta(seconds=float(value))
            self.paused += timedelta(seconds=float(value))
            return
        self.now += timedelta(seconds=20)
        self.statements.clear()
        inbound = Inbound(
            channel="simulator",
            account=user,
            message_id=f"m{next(_ids)}",
            received_at=self.now,
            text=value if kind == "text" else None,
            button=value if kind == "button" else None,
        )
        async with session_scope(self.sessions) as db:
            ctx = Context(session=db, now=self.now, config=CONFIG)
            who = await router.sender(inbound, ctx)
            assert who is not None
            replies = [reply.text for reply in await router.answer(inbound, who, ctx)]
        assert replies, f"no answer to {step}"
        assert INTERNAL_ERROR not in replies, f"apologised for {step}"
        writes = sum(1 for statement in self.statements if WRITE.match(statement))
        expired = self.paused > router.KEEP_DRAFT  # the old draft dropped, a new one may start
        assert writes <= (2 if expired else 1), f"{writes} writes of the draft for {step}"
        self.paused = timedelta(0)
        await self.check_drafts()

    async def check_drafts(self) -> None:
        """Every stored draft is open at a step of its form that applies, or at the
        confirmation with every shown step answered; its path holds only the form's steps."""
        async with session_scope(self.sessions) as db:
            rows = (await db.exec(select(Conversation))).all()
        for row in rows:
            form = router.FORMS[row.form]
            state = State.load(conversations.data_of(row))
            names = {step.name for step in form.steps}
            assert state.values.keys() <= names and set(state.history) <= names
            if row.step == FORM_CONFIRM:
                assert set(state.values) == {step.name for step in form.shown(state.values)}
            else:
                assert form.applies(row.step, state.values), (row.step, state.values)

    async def logs(self) -> int:
        async with session_scope(self.sessions) as db:
            return int((await db.exec(select(func.count()).select_from(VisitLog))).one())


@pytest.fixture
async def bench(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Bench]:
    """A teacher on three teams (two students named 王五, one key-attention student), and a
    peer mentor on one; 钱七 belongs to someone else."""
    async with session_scope(sessions) as db:
        teacher = await make_staff(db, code="T1", roles=("academic_mentor", "counsellor"))
        other = await make_staff(db, code="T2", roles=("academic_mentor",))
        peer = await make_student(db, name="学长", code="P1")
        seats = {"academic_mentor": teacher, "student_affairs": teacher, "peer_mentor": peer}
        await make_student(db, name="张三", key_attention=True, team=seats)
        await make_student(db, name="李四", team={"academic_mentor": teacher})
        for klass in ("计科2301", "软工2302"):
            await make_student(db, name="王五", class_name=klass, team={"student_affairs": teacher})
        await make_student(db, name="钱七", team={"academic_mentor": other})
    bench = Bench(sessions)
    event.listen(engine.sync_engine, "before_cursor_execute", bench.listen)
    yield bench
    event.remove(engine.sync_engine, "before_cursor_execute", bench.listen)


def _is_confirmation(step: Step) -> bool:
    return step[1].strip().lower() in CONFIRM


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(
    user=st.sampled_from(["T1", "P1"]),
    steps=st.lists(STEPS, min_size=1, max_size=12),
)
async def test_without_a_confirmation_nothing_is_stored_and_every_message_is_answered(
    bench: Bench, user: str, steps: list[Step]
) -> None:
    assert not any(_is_confirmation(step) for step in steps)
    await bench.reset()

    for step in steps:
        await bench.play(user, step)

    assert await bench.logs() == 0


@FUZZ
@given(
    user=st.sampled_from(["T1", "P1"]),
    steps=st.lists(STEPS, min_size=1, max_size=12),
)
async def test_one_confirmation_stores_at_most_one_log(
    bench: Bench, user: str, steps: list[Step]
) -> None:
    await bench.reset()

    for step in [*steps, ("text", "确认")]:
        await bench.play(user, step)

    assert await bench.logs() <= 1


async def test_a_full_quick_log_with_a_confirmation_is_stored(bench: Bench) -> None:
    """The properties above are not vacuous: this vocabulary can store a log."""
    line = "记录 张三 谈心 昨天 宿舍 情绪稳定，已申请助学金 效果稳定 无风险"
    for step in (("text", line), ("text", "确认")):
        await bench.play("T1", step)

    assert await bench.logs() == 1
