"""Nothing long on the event loop: a school-wide due evaluation runs on the runtime's reader,
gives the same board as on the session, and while it runs at 50k students a WeCom callback
is answered within its window and /healthz is answered all the while (issue 11).

The issue's figure, /healthz within 200 ms, is a timing on a shared machine: bench/event_loop.py
measures it against that target. The tests assert what a blocked loop would break whatever the
machine's speed: no /healthz waits for a sizeable part of the evaluation."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import heap
from bot.runtime import Runtime
from bot.schedule import jobs
from handlers.context import Context, HandlerConfig
from handlers.reminders.items import Board, due_for
from storage.db import session_scope
from storage.models import Assignment, OutboxMessage, ReminderLog, VisitLog
from storage.reading import Reader, ReadWork, open_reader
from tests.conftest import DATA_KEY
from tests.fakes.big_school import build_school
from tests.fakes.clock import SHANGHAI, FakeClock
from tests.fakes.roster import make_staff
from tests.fakes.wecom_callbacks import CallbackBuilder, fake_server, running_app, wecom_settings

NOW = datetime(2026, 11, 23, 9, tzinfo=SHANGHAI)  # a Monday of the autumn semester
CONFIG = HandlerConfig(tz=SHANGHAI, hotline="x")
SCHOOL = 50_000  # students: seconds of evaluation (bench/event_loop.py measures 100k)
WECOM_WINDOW = 5.0  # WeCom gives up on a callback after 5 s
# A /healthz answered within this share of the evaluation did not wait for it: on the loop the
# evaluation would hold every probe for all of it (bench/event_loop.py's "inline" mode).
SHARE = 0.1
# The evaluation must last long enough for many probes, or answering during it proves nothing.
LONG_ENOUGH = 1.0
T = TypeVar("T")


def _keys(board: Board) -> set[tuple[int, int, str]]:
    return {(p, item.student.id, item.rule_id) for p, items in board.items() for item in items}


@pytest.fixture
async def reader(database_url: str, engine: AsyncEngine) -> AsyncIterator[Reader]:
    async with open_reader(database_url, data_key=DATA_KEY) as opened:
        yield opened


async def test_concurrent_evaluations_and_writes_see_consistent_committed_boards(
    engine: AsyncEngine,
    reader: Reader,
    sessions: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    await build_school(engine, students=2000, now=NOW)
    seats = select(Assignment).where(Assignment.role == "student_affairs")
    teachers = {a.student_id: a.mentor_id for a in (await session.exec(seats)).all()}
    written = sorted(teachers)[:40]
    await session.rollback()

    async def board(with_reader: bool) -> Board:
        async with sessions() as own:
            ctx = Context(session=own, now=NOW, config=CONFIG)
            return await due_for(replace(ctx, reader=reader) if with_reader else ctx)

    async def talk(student: int) -> None:
        at = NOW - timedelta(hours=1)
        async with session_scope(sessions) as own:
            own.add(
                VisitLog(
                    student_id=student,
                    author_id=teachers[student],
                    kind="谈心谈话",
                    occurred_at=at,
                    created_at=at,
                )
            )

    before = await board(with_reader=False)
    assert await board(with_reader=True) == before
    async with asyncio.timeout(120):  # bounded: a lost wake-up would hang here
        during = await asyncio.gather(
            *(board(with_reader=True) for _ in range(6)), *(talk(s) for s in written)
        )
    after = await board(with_reader=False)

    assert await board(with_reader=True) == after
    assert _keys(after) < _keys(before)  # the talks were noticed
    assert {student for _, student, _ in _keys(before) - _keys(after)} <= set(written)
    for seen in during[:6]:
        assert isinstance(seen, dict)
        assert _keys(after) <= _keys(seen) <= _keys(before)  # each one snapshot or another


@dataclass
class Probe:
    """The runtime's reader, noting (on the reader's thread) when the work starts and ends."""

    reader: Reader
    started: asyncio.Event = field(default_factory=asyncio.Event)
    began: float = 0.0
    ended: float = float("inf")

    async def read(self, work: ReadWork[T]) -> T:
        loop = asyncio.get_running_loop()

        first = not self.started.is_set()  # the evaluation; later reads are short ones

        async def timed(session: AsyncSession) -> T:
            if first:
                self.began = time.perf_counter()
                loop.call_soon_threadsafe(self.started.set)
            try:
                return await work(session)
            finally:
                if first:
                    self.ended = time.perf_counter()

        return await self.reader.read(timed)


async def _evaluate(runtime: Runtime) -> Board:
    """What the digest job evaluates, through the job's own context."""
    async with session_scope(runtime.sessions) as session:
        return await due_for(jobs.context_for(runtime, session))


@pytest.mark.slow
async def test_callbacks_and_healthz_are_answered_while_a_school_is_evaluated(
    database_url: str, engine: AsyncEngine, clock: FakeClock, session: AsyncSession
) -> None:
    school = await build_school(engine, students=SCHOOL, now=NOW)
    await make_staff(session, name="张老师", wecom="ZhangSan")
    await session.commit()
    clock.set(NOW)
    callbacks = CallbackBuilder(clock)
    settings = wecom_settings(database_url, DATA_KEY)

    async with running_app(settings, clock, fake_server(clock, "ZhangSan")) as (app, client):
        probe = Probe(app.state.runtime.reader)
        evaluation = asyncio.create_task(_evaluate(replace(app.state.runtime, reader=probe)))
        started = asyncio.create_task(probe.started.wait())
        await asyncio.wait({started, evaluation}, return_when=asyncio.FIRST_COMPLETED)
        assert probe.started.is_set(), "the evaluation did not run on the reader"
        healthz: list[tuple[float, float]] = []
        callback = callbacks.text("ZhangSan", "帮助")
        sent = time.perf_counter()
        reply = await client.post("/wecom/callback", params=callback.params, content=callback.body)
        answered = time.perf_counter()
        while not evaluation.done():
            began = time.perf_counter()
            response = await client.get("/healthz")
            healthz.append((began, time.perf_counter()))
            assert response.status_code == 200
            await asyncio.sleep(0.02)  # pacing, so the probes do not compete with the work
        board = await evaluation

    during = [end - began for began, end in healthz if end < probe.ended]
    took, slowest = probe.ended - probe.began, max(during, default=0.0)
    print(f"\nevaluation {took:.2f} s, {len(during)} healthz during it (slowest {slowest:.3f} s)")
    students = {item.student.id for items in board.values() for item in items}
    assert len(students) > len(school.students) // 2  # a real school-wide evaluation
    assert probe.ended - probe.began > LONG_ENOUGH
    assert answered < probe.ended and answered - sent < WECOM_WINDOW
    assert "常用指令" in callbacks.open_reply(reply.content)["Content"]  # passive: in time
    assert len(during) >= 3
    assert max(during) < SHARE * took


@pytest.mark.slow
async def test_callbacks_and_healthz_are_answered_while_an_admin_sends_the_days_reminders(
    database_url: str, engine: AsyncEngine, clock: FakeClock, session: AsyncSession
) -> None:
    """The chat command 发送今日提醒 evaluates the whole school too: it is answered at once
    and stored as a request; the runner evaluates on the reader and records and queues the
    digests in rounds, so callbacks and /healthz are answered in time all the while."""
    await build_school(engine, students=SCHOOL, now=NOW)
    await make_staff(session, name="张老师", wecom="ZhangSan")
    await make_staff(session, name="赵老师", wecom="ZhaoAdmin", roles=("school_admin",))
    await session.commit()
    clock.set(NOW)
    callbacks = CallbackBuilder(clock)
    settings = wecom_settings(database_url, DATA_KEY)
    fake = fake_server(clock, "ZhangSan", "ZhaoAdmin")
    thresholds = gc.get_threshold()
    heap.settle()  # as `carebot serve` does: what lives for the process is not walked again

    async with running_app(settings, clock, fake) as (app, client):
        probe = Probe(app.state.work.reader)
        app.state.work.reader = probe
        order = callbacks.text("ZhaoAdmin", "发送今日提醒")
        queued = await client.post("/wecom/callback", params=order.params, content=order.body)
        assert "正在发送" in callbacks.open_reply(queued.content)["Content"]
        await asyncio.wait_for(probe.started.wait(), timeout=30)
        callback = callbacks.text("ZhangSan", "帮助")
        sent = time.perf_counter()
        reply = await client.post("/wecom/callback", params=callback.params, content=callback.body)
        answered = time.perf_counter()
        healthz: list[float] = []
        told = select(OutboxMessage).where(col(OutboxMessage.idempotency_key).startswith("work:"))
        while (await session.exec(told)).first() is None:  # the admin hears it is done
            began = time.perf_counter()
            response = await client.get("/healthz")
            healthz.append(time.perf_counter() - began)
            assert response.status_code == 200
            await session.rollback()
            await asyncio.sleep(0.02)

    gc.unfreeze()
    gc.set_threshold(*thresholds)
    took = probe.ended - probe.began
    print(f"\nevaluation {took:.2f} s, {len(healthz)} healthz (slowest {max(healthz):.3f} s)")
    assert took > LONG_ENOUGH
    assert answered - sent < WECOM_WINDOW
    assert "常用指令" in callbacks.open_reply(reply.content)["Content"]  # passive: in time
    assert len(healthz) >= 3
    assert max(healthz) < SHARE * took
    logged = (await session.exec(select(ReminderLog.id))).all()
    assert len(logged) > SCHOOL // 20  # the school's digests were recorded
