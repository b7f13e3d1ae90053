"""Sensitive fields are encrypted at rest: the raw database holds no plaintext."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.crypto import DecryptionError, InvalidKeyError, new_key, validate_key
from storage.db import make_engine, make_sessionmaker
from storage.models import Person, VisitLog
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student

PHONE = "13912345678"
GUARDIAN_PHONE = "13787654321"
SUMMARY = "谈到家里困难，已推荐临时困难补助"


async def _raw_dump(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        people = (await connection.execute(text("SELECT * FROM person"))).all()
        logs = (await connection.execute(text("SELECT * FROM visit_log"))).all()
    return repr(people) + repr(logs)


async def test_raw_database_has_no_plaintext_phones_or_summaries(
    engine: AsyncEngine, session: AsyncSession, clock: FakeClock
) -> None:
    mentor = await make_staff(session, phone="13600000000")
    student = await make_student(session, phone=PHONE, guardian_phone=GUARDIAN_PHONE)
    assert student.id and mentor.id
    session.add(
        VisitLog(
            student_id=student.id,
            author_id=mentor.id,
            kind="谈心谈话",
            occurred_at=clock.now(),
            summary=SUMMARY,
            created_at=clock.now(),
        )
    )
    await session.commit()

    raw = await _raw_dump(engine)

    for secret in (PHONE, GUARDIAN_PHONE, "13600000000", SUMMARY, "临时困难补助"):
        assert secret not in raw
    loaded = (await session.exec(select(Person).where(Person.id == student.id))).one()
    assert loaded.phone == PHONE and loaded.guardian_phone == GUARDIAN_PHONE


async def test_reading_with_another_key_fails_loudly(
    engine: AsyncEngine, database_url: str, session: AsyncSession
) -> None:
    await make_student(session, phone=PHONE, code="2023777777")
    await session.commit()
    other = make_engine(database_url, data_key=new_key())
    try:
        async with make_sessionmaker(other)() as wrong:
            with pytest.raises(DecryptionError):
                (await wrong.exec(select(Person).where(Person.code == "2023777777"))).one()
    finally:
        await other.dispose()


def test_key_validation_rejects_placeholders() -> None:
    for bad in ("", "changeme", "x" * 44):
        with pytest.raises(InvalidKeyError):
            validate_key(bad)
    validate_key(new_key())
