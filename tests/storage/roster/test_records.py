"""Records built in code (the demo) go through the import's checks and writer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Assignment, Person, PersonKind
from storage.roster.importer import RosterError, write_records
from storage.roster.rows import Record
from storage.roster.sheet import Sheet

SINCE = datetime(2026, 9, 1, tzinfo=UTC)
STUDENTS = Sheet(0, "demo", PersonKind.STUDENT, [], [])
STAFF = Sheet(0, "demo", PersonKind.STAFF, [], [])


def _student(code: str, **team: str) -> Record:
    return Record(STUDENTS, 1, code=code, fields={"name": "张三"}, team=dict(team))


async def test_a_team_pointing_at_nobody_is_refused_and_nothing_is_written(
    session: AsyncSession,
) -> None:
    with pytest.raises(RosterError) as refused:
        await write_records(session, [_student("2023001", academic_mentor="T404")], now=SINCE)

    assert any("T404" in line for line in refused.value.errors)
    assert (await session.exec(select(Person))).all() == []


async def test_records_are_written_with_their_roles_teams_and_dates(session: AsyncSession) -> None:
    mentor = Record(STAFF, 2, code="T1", fields={"name": "李老师"}, roles=frozenset({"counsellor"}))

    await write_records(session, [mentor, _student("2023001", student_affairs="T1")], now=SINCE)

    [seat] = (await session.exec(select(Assignment))).all()
    assert (seat.role, seat.assigned_at) == ("student_affairs", SINCE)
