"""Work requests: done once by whichever runner claims them, the requester told in the same
transaction; a runner that dies leaves the request to the next after its lease; failures are
retried, then reported; two runners never do one request twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.work import MAX_ATTEMPTS, RETRY_AFTER, WorkRunner
from handlers import errands
from handlers.context import Context, HandlerConfig
from handlers.envelopes import Outbound, text
from messages.render import render
from storage import work
from storage.db import session_scope
from storage.messaging.outbox import payload_of
from storage.models import OutboxMessage, WorkStatus
from storage.people.identify import AccountMatch
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff

CONFIG = HandlerConfig(
    tz=ZoneInfo("Asia/Shanghai"),
    hotline="x",
    channels=("simulator",),
    account_match={"simulator": AccountMatch.ROSTER_CODE},
)
KIND = "test_errand"


class Errand:
    """A test errand: counts its runs per request, may fail or wait to be let go."""

    def __init__(self) -> None:
        self.runs: Counter[str] = Counter()
        self.failing = False
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def __call__(
        self, ctx: Context, args: dict[str, Any], requested_by: int | None
    ) -> list[Outbound]:
        self.runs[args["n"]] += 1
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.failing:
            raise RuntimeError("the errand failed")
        return [text(f"完成 {args['n']}")]


@pytest.fixture
def errand(monkeypatch: pytest.MonkeyPatch) -> Errand:
    errand = Errand()
    monkeypatch.setitem(errands.ERRANDS, KIND, errand)
    return errand


def _runner(sessions: async_sessionmaker[AsyncSession], clock: FakeClock) -> WorkRunner:
    return WorkRunner(sessions, clock, CONFIG, reader=None)


async def _ask(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock, by: int, n: str
) -> int:
    async with session_scope(sessions) as session:
        return await work.request(
            session, kind=KIND, requested_by=by, args={"n": n}, now=clock.now()
        )


async def _told(session: AsyncSession, person_id: int) -> list[str]:
    await session.rollback()
    query = select(OutboxMessage).where(OutboxMessage.person_id == person_id)
    return [payload_of(row)["text"] for row in (await session.exec(query)).all()]


async def _status(session: AsyncSession, request_id: int) -> tuple[str, int]:
    await session.rollback()
    return await work.status_of(session, request_id)


async def test_a_request_is_done_once_and_its_requester_told(
    sessions: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    clock: FakeClock,
    errand: Errand,
) -> None:
    admin = await make_staff(session, code="A1")
    await session.commit()
    assert admin.id is not None
    admin_id = admin.id
    first = await _ask(sessions, clock, admin_id, "1")
    runner = _runner(sessions, clock)

    assert await runner.drain() == 1
    assert await runner.drain() == 0

    assert errand.runs == {"1": 1}
    assert await _status(session, first) == (WorkStatus.DONE, 1)
    assert await _told(session, admin_id) == ["完成 1"]


async def test_a_runner_that_died_mid_work_leaves_it_to_the_next_after_the_lease(
    sessions: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    clock: FakeClock,
    errand: Errand,
) -> None:
    admin = await make_staff(session, code="A1")
    await session.commit()
    assert admin.id is not None
    admin_id = admin.id
    request = await _ask(sessions, clock, admin_id, "1")
    errand.gate = asyncio.Event()
    dying = asyncio.create_task(_runner(sessions, clock).drain())
    await errand.entered.wait()
    dying.cancel()  # the process goes away mid-work: its transaction never commits
    with pytest.raises(asyncio.CancelledError):
        await dying
    errand.gate = None
    runner = _runner(sessions, clock)

    assert await runner.drain() == 0  # still leased to the one that died
    clock.advance(seconds=runner.lease.total_seconds() + 1)
    assert await runner.drain() == 1

    assert errand.runs == {"1": 2}  # begun twice, finished once
    assert await _status(session, request) == (WorkStatus.DONE, 2)
    assert await _told(session, admin_id) == ["完成 1"]


async def test_a_failing_request_is_retried_then_reported_as_failed(
    sessions: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    clock: FakeClock,
    errand: Errand,
) -> None:
    admin = await make_staff(session, code="A1")
    await session.commit()
    assert admin.id is not None
    admin_id = admin.id
    request = await _ask(sessions, clock, admin_id, "1")
    errand.failing = True
    runner = _runner(sessions, clock)

    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await runner.drain() == 1
        assert await runner.drain() == 0  # not before the pause
        status = WorkStatus.FAILED if attempt == MAX_ATTEMPTS else WorkStatus.RUNNING
        assert await _status(session, request) == (status, attempt)
        clock.advance(seconds=RETRY_AFTER.total_seconds() + 1)

    assert await runner.drain() == 0
    assert errand.runs == {"1": MAX_ATTEMPTS}
    name = render("work_unnamed").strip()
    assert await _told(session, admin_id) == [render("work_failed", what=name)]


async def test_two_runners_racing_never_do_one_request_twice(
    sessions: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    clock: FakeClock,
    errand: Errand,
) -> None:
    admin = await make_staff(session, code="A1")
    await session.commit()
    assert admin.id is not None
    admin_id = admin.id
    for n in range(6):
        await _ask(sessions, clock, admin_id, str(n))
    errand.gate = asyncio.Event()
    one, two = _runner(sessions, clock), _runner(sessions, clock)
    first = asyncio.create_task(one.drain())
    await errand.entered.wait()  # the first holds a request mid-work ...
    errand.entered.clear()
    second = asyncio.create_task(two.drain())
    await errand.entered.wait()  # ... while the second claims: it must get another one
    assert sum(errand.runs.values()) == 2 and max(errand.runs.values()) == 1
    errand.gate.set()

    async with asyncio.timeout(30):
        counts = await asyncio.gather(first, second)

    assert sum(counts) == 6
    assert errand.runs == {str(n): 1 for n in range(6)}
    assert sorted(await _told(session, admin_id)) == sorted(f"完成 {n}" for n in range(6))


async def test_stress_many_requests_many_runners_each_done_once(
    sessions: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    clock: FakeClock,
    errand: Errand,
) -> None:
    admin = await make_staff(session, code="A1")
    await session.commit()
    assert admin.id is not None
    admin_id = admin.id
    for n in range(40):
        await _ask(sessions, clock, admin_id, str(n))
    runners = [_runner(sessions, clock) for _ in range(4)]

    async with asyncio.timeout(60):
        counts = await asyncio.gather(*(runner.drain() for runner in runners))

    assert sum(counts) == 40 and errand.runs == {str(n): 1 for n in range(40)}
