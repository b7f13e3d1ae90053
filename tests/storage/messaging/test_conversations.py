"""The conversation row through its Core statements: the draft encrypted at rest, one row per
person and channel (opening a form replaces the old draft), and identify reading the open
draft in its own round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

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
    first = await conversations.save(
        session, person_id=mentor.id, channel="wecom", form="visit", step="a", data={}, now=NOW
    )
    later = NOW + timedelta(minutes=5)
    second = await conversations.save(
        session, person_id=mentor.id, channel="wecom", form="weekly", step="x", data={}, now=later
    )
    other = await conversations.save(
        session, person_id=mentor.id, channel="dingtalk", form="visit", step="a", data={}, now=NOW
    )
    assert second.id == first.id and other.id != first.id
    assert conversations.changed(session, person_id=mentor.id, channel="wecom")
    await session.commit()
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
