"""Each message to an open form writes the conversation row once (the draft saved, or
dropped with the visit log stored), and the engine never looks the row up again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.access.identity import Identity
from handlers.context import Context, HandlerConfig
from handlers.conversation import forms, router
from handlers.envelopes import Inbound
from storage.db import session_scope
from storage.messaging import conversations
from storage.models import VisitLog
from storage.people.identify import AccountMatch
from tests.fakes.clock import SHANGHAI
from tests.fakes.roster import make_staff, make_student

CONFIG = HandlerConfig(
    tz=ZoneInfo("Asia/Shanghai"),
    hotline="400-161-9995",
    channels=("simulator",),
    account_match={"simulator": AccountMatch.ROSTER_CODE},  # the simulator's own matching
)
START = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
WRITE = re.compile(r"^\s*(INSERT INTO|UPDATE|DELETE FROM) conversation\b", re.I)
READ = re.compile(r"^\s*SELECT\b.*\bFROM conversation\b", re.I | re.S)
# (what the mentor says, how many times it writes the conversation row)
SCRIPT = (
    ("记录", 1),  # the draft is inserted
    ("1", 1),
    ("谈心", 1),
    ("帮助", 0),  # nothing changed: nothing written
    ("查看 张三", 0),  # a command answered mid-form, the question asked again
    ("明天", 1),  # a miss is counted in the draft
    ("昨天下午", 1),
    ("跳过", 1),
    ("聊了聊近况", 1),
    ("3", 1),
    ("有", 1),
    ("失眠", 1),
    ("跳过", 1),
    ("修改 7", 1),
    ("无", 1),
    ("好吧", 0),  # not an answer at the confirmation
    ("上一步", 1),
    ("无", 1),
    ("确认", 1),  # the draft is deleted and the log stored in the same transaction
)


@dataclass
class Statements:
    """What the engine sent to the database, as SQL text."""

    seen: list[str] = field(default_factory=list)

    def __call__(self, *args: Any) -> None:
        self.seen.append(args[2])

    def writes(self) -> int:
        return sum(1 for statement in self.seen if WRITE.match(statement))

    def reads(self) -> int:
        return sum(1 for statement in self.seen if READ.match(statement))


@pytest.fixture
def statements(engine: AsyncEngine) -> Iterator[Statements]:
    recorder = Statements()
    event.listen(engine.sync_engine, "before_cursor_execute", recorder)
    yield recorder
    event.remove(engine.sync_engine, "before_cursor_execute", recorder)


@pytest.fixture
async def mentor(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as db:
        teacher = await make_staff(db, code="T1", roles=("academic_mentor",))
        await make_student(db, name="张三", team={"academic_mentor": teacher})


async def _say(sessions: async_sessionmaker[AsyncSession], text: str, now: datetime) -> None:
    inbound = Inbound("simulator", "T1", f"m{now.timestamp()}", now, text=text)
    async with session_scope(sessions) as db:
        ctx = Context(session=db, now=now, config=CONFIG)
        who = await router.sender(inbound, ctx)
        assert who is not None
        await router.answer(inbound, who, ctx)


async def test_each_step_of_the_visit_form_writes_the_conversation_once(
    sessions: async_sessionmaker[AsyncSession], statements: Statements, mentor: None
) -> None:
    now = START
    for text, writes in SCRIPT:
        now += timedelta(seconds=20)
        statements.seen.clear()
        await _say(sessions, text, now)
        assert statements.writes() == writes, text

    async with session_scope(sessions) as db:
        assert (await db.exec(select(func.count()).select_from(VisitLog))).one() == 1


async def test_handle_reads_no_conversation_and_writes_it_once(
    sessions: async_sessionmaker[AsyncSession], statements: Statements, mentor: None
) -> None:
    await _say(sessions, "记录", START)
    async with session_scope(sessions) as db:
        ctx = Context(session=db, now=START + timedelta(minutes=1), config=CONFIG)
        who = await router.sender(Inbound("simulator", "T1", "x", ctx.now, text="1"), ctx)
        assert isinstance(who, Identity)
        row = await conversations.load(db, person_id=who.person_id, channel="simulator")
        assert row is not None
        statements.seen.clear()
        answer = forms.Answer("1")
        await forms.handle(ctx, who, row=row, form=router.FORMS["visit"], answer=answer)
        assert (statements.reads(), statements.writes()) == (0, 0)  # written at the commit
        assert row.step == "kind"
    assert (statements.reads(), statements.writes()) == (0, 1)
