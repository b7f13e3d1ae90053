"""The conversation row through its Core statements: the draft encrypted at rest, one row per
person and channel (opening a form replaces the old draft), and identify reading the open
draft in its own round trip."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import session_scope
from storage.messaging import conversations
from storage.people.identify import identify
from tests.conftest import DATA_KEY
from tests.fakes.roster import make_staff

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
SECRET = "谈到家里的困难"


async def _raw(engine: AsyncEngine) -> list[tuple[str, str, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT form, step, data FROM conversation"))
        return [(row[0], row[1], row[2]) for row in rows]


async def _ids(engine: AsyncEngine) -> dict[str, int]:
    """The conversation rows' ids by channel."""
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT channel, id FROM conversation"))
        return {channel: row_id for channel, row_id in rows}


async def test_a_draft_is_encrypted_at_rest_on_every_write(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    mentor = await make_staff(session, code="T1", wecom="m1")
    assert mentor.id is not None
    draft = await conversations.save(
        session,
        person_id=mentor.id,
        channel="wecom",
        form="visit",
        step="a",
        data={"note": SECRET},
        now=NOW,
    )
    await conversations.store(session, draft, step="b", data={"note": SECRET * 2}, now=NOW)
    await session.commit()

    [(form, step, data)] = await _raw(engine)
    assert (form, step) == ("visit", "b") and SECRET not in data
    assert (
        Fernet(DATA_KEY.encode()).decrypt(data.encode()).decode() == f'{{"note": "{SECRET * 2}"}}'
    )
    loaded = await conversations.load(session, person_id=mentor.id, channel="wecom")
    assert loaded == draft and conversations.data_of(loaded) == {"note": SECRET * 2}


async def test_opening_a_form_replaces_the_draft_and_drop_removes_it(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    mentor = await make_staff(session, code="T1", wecom="m1")
    assert mentor.id is not None
    await conversations.save(
        session, person_id=mentor.id, channel="wecom", form="visit", step="a", data={}, now=NOW
    )
    await session.commit()
    first = await _ids(engine)
    later = NOW + timedelta(minutes=5)
    await conversations.save(
        session, person_id=mentor.id, channel="wecom", form="weekly", step="x", data={}, now=later
    )
    await conversations.save(
        session, person_id=mentor.id, channel="dingtalk", form="visit", step="a", data={}, now=NOW
    )
    assert conversations.changed(session, person_id=mentor.id, channel="wecom")
    await session.commit()
    ids = await _ids(engine)
    assert ids["wecom"] == first["wecom"] and ids["dingtalk"] != first["wecom"]
    assert sorted(form for form, _, _ in await _raw(engine)) == ["visit", "weekly"]

    await conversations.drop(session, person_id=mentor.id, channel="wecom")
    await session.commit()
    assert await conversations.load(session, person_id=mentor.id, channel="wecom") is None
    assert [form for form, _, _ in await _raw(engine)] == ["visit"]


async def test_identify_brings_the_open_draft_of_that_channel_only(session: AsyncSession) -> None:
    mentor = await make_staff(session, code="T1", wecom="m1")
    assert mentor.id is not None
    assert (await identify(session, channel="wecom", account="m1")).draft is None  # type: ignore[union-attr]
    saved = await conversations.save(
        session,
        person_id=mentor.id,
        channel="wecom",
        form="visit",
        step="a",
        data={"note": SECRET},
        now=NOW,
    )
    await session.commit()

    found = await identify(session, channel="wecom", account="M1")
    assert found is not None and found.draft == saved
    assert found.person.id == mentor.id
    elsewhere = await identify(session, channel="dingtalk", account="m1")
    assert elsewhere is None or elsewhere.draft is None


# The writes are deferred to the commit: whatever a transaction does to a row, the row ends as
# it would have had each write gone out at once (a model of that below), and reads see them.

Op = str
OPS: tuple[Op, ...] = ("save", "store", "touch", "drop")


def _expected(start: bool, ops: tuple[Op, ...]) -> tuple[str, str, int] | None:
    """(form, step, minute of updated_at) as immediate writes would leave the row."""
    row = ("visit", "a", 0) if start else None
    for minute, op in enumerate(ops, start=1):
        if op == "save":
            row = ("weekly", f"s{minute}", minute)
        elif op == "store" and row is not None:
            row = (row[0], f"s{minute}", minute)
        elif op == "touch" and row is not None:
            row = (row[0], row[1], minute)
        elif op == "drop":
            row = None
    return row


async def _mentor(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with session_scope(sessions) as db:
        mentor = await make_staff(db, code="T1", wecom="m1")
    assert mentor.id is not None
    return mentor.id


async def _apply(session: AsyncSession, person_id: int, ops: tuple[Op, ...]) -> None:
    draft = conversations.Draft(None, person_id, "wecom", "visit", "a", "{}", NOW)
    for minute, op in enumerate(ops, start=1):
        at, step = NOW + timedelta(minutes=minute), f"s{minute}"
        if op == "save":
            await conversations.save(
                session, person_id=person_id, channel="wecom", form="weekly", step=step,
                data={"n": minute}, now=at,
            )  # fmt: skip
        elif op == "store":
            await conversations.store(session, draft, step=step, data={"n": minute}, now=at)
        elif op == "touch":
            await conversations.touch(session, draft, now=at)
        else:
            await conversations.drop(session, person_id=person_id, channel="wecom")


async def test_a_rows_writes_in_one_transaction_end_as_if_each_went_out_at_once(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    mentor_id = await _mentor(sessions)
    for start in (False, True):
        for ops in itertools.product(OPS, repeat=3):
            async with session_scope(sessions) as db:
                await (await db.connection()).execute(text("DELETE FROM conversation"))
                if start:
                    await conversations.save(
                        db, person_id=mentor_id, channel="wecom", form="visit", step="a",
                        data={}, now=NOW,
                    )  # fmt: skip
            async with session_scope(sessions) as db:
                await _apply(db, mentor_id, ops)
            async with session_scope(sessions) as db:
                found = await conversations.load(db, person_id=mentor_id, channel="wecom")
            got = None if found is None else (found.form, found.step, found.updated_at)
            want = _expected(start, ops)
            at = None if want is None else NOW + timedelta(minutes=want[2])
            assert got == (None if want is None else (want[0], want[1], at)), (start, ops)


def _writes(statements: list[str]) -> list[str]:
    return [s for s in statements if re.match(r"\s*(INSERT|UPDATE|DELETE)\b", s)]


async def test_a_transactions_drafts_go_out_at_the_commit_one_statement_a_kind(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with session_scope(sessions) as db:
        people = [await make_staff(db, code=f"T{n}", wecom=f"m{n}") for n in range(9)]
        ids = [person.id for person in people if person.id is not None]
        for person_id in ids[3:]:
            await conversations.save(
                db, person_id=person_id, channel="wecom", form="visit", step="a", data={}, now=NOW
            )
    seen: list[str] = []
    listen = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine.sync_engine, "before_cursor_execute", listen)
    try:
        async with session_scope(sessions) as db:
            for person_id in ids[:3]:  # opened
                await conversations.save(
                    db, person_id=person_id, channel="wecom", form="visit", step="a", data={},
                    now=NOW,
                )  # fmt: skip
            for person_id in ids[3:6]:  # answered
                draft = conversations.Draft(None, person_id, "wecom", "visit", "a", "{}", NOW)
                await conversations.store(db, draft, step="b", data={"n": 1}, now=NOW)
            for person_id in ids[6:]:  # cancelled
                await conversations.drop(db, person_id=person_id, channel="wecom")
            assert _writes(seen) == []  # nothing yet
        assert len(_writes(seen)) == 3
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listen)
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT person_id, step FROM conversation"))
        assert sorted(rows.all()) == [(i, "a") for i in ids[:3]] + [(i, "b") for i in ids[3:6]]


async def test_a_read_in_the_transaction_sees_its_drafts_and_a_rollback_forgets_them(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    mentor_id = await _mentor(sessions)
    async with sessions() as db:
        await conversations.save(
            db, person_id=mentor_id, channel="wecom", form="visit", step="a", data={}, now=NOW
        )
        loaded = await conversations.load(db, person_id=mentor_id, channel="wecom")
        assert loaded is not None and loaded.step == "a"
        await conversations.drop(db, person_id=mentor_id, channel="wecom")
        found = await identify(db, channel="wecom", account="m1")
        assert found is not None and found.draft is None
        await conversations.save(
            db, person_id=mentor_id, channel="wecom", form="visit", step="b", data={}, now=NOW
        )
        await db.rollback()
        await db.commit()
    assert await _raw(engine) == []
    async with sessions() as db:  # noted first thing in a session, which closes unfinished
        await conversations.drop(db, person_id=mentor_id, channel="wecom")
        await conversations.save(
            db, person_id=mentor_id, channel="wecom", form="visit", step="c", data={}, now=NOW
        )
        await db.close()
        await db.commit()  # the session used again: what was noted went with its transaction
    assert await _raw(engine) == []
