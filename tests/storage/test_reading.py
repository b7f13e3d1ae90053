"""The reader: long read-only work runs on its own connection off the event loop's thread,
sees what was committed (and only that), never writes, and raises what the work raised."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import exc, func, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import make_engine
from storage.models import Person
from storage.reading import Reader, ThreadReader, open_reader
from tests.conftest import DATA_KEY
from tests.fakes.roster import make_staff


@pytest.fixture
async def reader(database_url: str, engine: AsyncEngine) -> AsyncIterator[Reader]:
    async with open_reader(database_url, data_key=DATA_KEY) as opened:
        yield opened


async def _names(session: AsyncSession) -> list[str]:
    return list((await session.exec(select(Person.name).order_by(col(Person.name)))).all())


async def test_the_work_runs_on_another_thread_and_sees_committed_rows(
    reader: Reader, session: AsyncSession
) -> None:
    await make_staff(session, name="王老师")
    await session.commit()
    loop_thread = threading.get_ident()

    async def work(own: AsyncSession) -> tuple[int, list[str]]:
        return threading.get_ident(), await _names(own)

    thread, names = await reader.read(work)

    assert isinstance(reader, ThreadReader)
    assert thread != loop_thread
    assert names == ["王老师"]


async def test_what_is_not_committed_yet_is_not_seen(reader: Reader, session: AsyncSession) -> None:
    await make_staff(session, name="王老师")
    await session.commit()
    await make_staff(session, name="李老师")  # flushed in an open transaction

    assert await reader.read(_names) == ["王老师"]
    await session.commit()
    assert await reader.read(_names) == ["李老师", "王老师"]


async def test_writes_are_refused_and_errors_surface_as_they_were_raised(
    reader: Reader, session: AsyncSession
) -> None:
    async def write(own: AsyncSession) -> None:
        await (await own.connection()).execute(text("DELETE FROM person"))

    async def fail(own: AsyncSession) -> None:
        raise LookupError("no such ledger")

    await make_staff(session, name="王老师")
    await session.commit()

    with pytest.raises(exc.DBAPIError, match=r"(?i)read.?only"):
        await reader.read(write)
    with pytest.raises(LookupError, match="no such ledger"):
        await reader.read(fail)
    assert await reader.read(_names) == ["王老师"]  # the reader still works afterwards


async def test_closing_stops_the_thread(database_url: str, engine: AsyncEngine) -> None:
    before = set(threading.enumerate())
    reader = ThreadReader(make_engine(database_url, data_key=DATA_KEY, read_only=True))
    reader.start()
    [thread] = set(threading.enumerate()) - before
    count = await reader.read(_count)
    await reader.close()

    assert count == 0
    assert thread.name == "carebot-reader" and not thread.is_alive()


async def _count(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(Person))).one()
