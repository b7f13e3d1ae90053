"""Proactive sends pick each person's channel by preference and are idempotent by key."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Context, HandlerConfig
from handlers.delivery import send_each, send_to_people
from handlers.envelopes import text
from storage.models import OutboxMessage
from storage.people.identify import AccountMatch
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student

BY_CODE = {"simulator": AccountMatch.ROSTER_CODE}  # as the simulator describes itself


def _ctx(session: AsyncSession, clock: FakeClock, channels: tuple[str, ...]) -> Context:
    config = HandlerConfig(
        tz=ZoneInfo("Asia/Shanghai"), hotline="x", channels=channels, account_match=BY_CODE
    )
    return Context(session=session, now=clock.now(), config=config)


async def _routes(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
    return [(row.channel, row.recipient) for row in rows.all()]


async def test_each_person_gets_the_first_enabled_channel_they_have(
    session: AsyncSession, clock: FakeClock
) -> None:
    both = await make_staff(session, code="T1", wecom="Wang01", dingtalk="ding-wang")
    ding_only = await make_student(session, code="S1", dingtalk="ding-li")
    nothing = await make_student(session, code="S2")
    ids = [p.id for p in (both, ding_only, nothing) if p.id]

    queued = await send_to_people(
        _ctx(session, clock, ("wecom", "dingtalk")), person_ids=ids, message=text("通知"), key="n1"
    )

    assert queued == 2
    assert await _routes(session) == [("wecom", "Wang01"), ("dingtalk", "ding-li")]


async def test_simulator_reaches_everyone_by_code_and_keys_are_idempotent(
    session: AsyncSession, clock: FakeClock
) -> None:
    student = await make_student(session, code="S9")
    assert student.id
    ctx = _ctx(session, clock, ("simulator",))

    first = await send_to_people(ctx, person_ids=[student.id], message=text("通知"), key="n2")
    again = await send_to_people(ctx, person_ids=[student.id], message=text("通知"), key="n2")

    assert (first, again) == (1, 0)
    assert await _routes(session) == [("simulator", "S9")]


async def test_how_a_channel_addresses_people_is_its_description_not_its_name(
    session: AsyncSession, clock: FakeClock
) -> None:
    person = await make_staff(session, code="T7", wecom="Zhao07")
    assert person.id
    config = HandlerConfig(
        tz=ZoneInfo("Asia/Shanghai"),
        hotline="x",
        channels=("simulator", "wecom"),
        account_match={"wecom": AccountMatch.ROSTER_CODE},
    )
    ctx = Context(session=session, now=clock.now(), config=config)

    assert await send_to_people(ctx, person_ids=[person.id], message=text("通知"), key="n3") == 1
    assert await _routes(session) == [("wecom", "T7")]


async def test_send_each_queues_everyones_parts_once_in_a_few_statements(
    session: AsyncSession, clock: FakeClock
) -> None:
    people = [await make_staff(session, code=f"T{n}", wecom=f"w{n}") for n in range(120)]
    lost = await make_student(session, code="S9")  # no account: not reachable on wecom
    ids = [p.id for p in people if p.id]
    messages = {pid: [text(f"第一部分{pid}"), text(f"第二部分{pid}")] for pid in ids}
    messages[lost.id or 0] = [text("无处可送")]
    ctx = _ctx(session, clock, ("wecom",))
    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    await session.commit()
    assert isinstance(session.bind, AsyncEngine)
    event.listen(session.bind.sync_engine, "before_cursor_execute", seen)

    queued = await send_each(ctx, messages, key=lambda part: f"digest:d:{part}")
    again = await send_each(ctx, messages, key=lambda part: f"digest:d:{part}")

    assert queued == set(ids) and again == set()
    rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    assert len(rows) == 240
    first = next(row for row in rows if row.person_id == ids[0])
    assert first.idempotency_key == f"digest:d:1:{ids[0]}" and first.recipient == "w0"
    assert {row.idempotency_key for row in rows if row.person_id == ids[5]} == {
        f"digest:d:1:{ids[5]}",
        f"digest:d:2:{ids[5]}",
    }
    assert 0 < len(statements) <= 10  # two sends of 241 people: a handful, not one per person
