"""The dates a roster import gives the due evaluation's clocks: a seat's holder, a category and
the key-attention flag date from the import that set them, and re-imports keep them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import session_scope
from storage.due.evaluate import RuleQuery, Scope, due_items
from storage.models import Assignment, Person, StudentCategory
from storage.roster.importer import ImportReport, import_roster
from tests.fakes.roster_files import student, team, write_xlsx

FIRST = datetime(2026, 9, 1, 8, tzinfo=UTC)
SECOND = datetime(2026, 10, 12, 8, tzinfo=UTC)
THIRD = datetime(2026, 11, 2, 8, tzinfo=UTC)
ZHANG = student(
    "2023001",
    姓名="张三",
    联系电话="13900000001",
    类别="孤儿、残疾",
    重点关注="是",
    学业导师="T1",
    学工教师="T2",
)


async def _import(
    sessions: async_sessionmaker[AsyncSession], path: Path, row: dict[str, object], at: datetime
) -> ImportReport:
    write_xlsx(path, students=[row], staff_rows=team())
    async with session_scope(sessions) as session:
        return await import_roster(session, [path], now=at, dry_run=False)


async def _dates(session: AsyncSession) -> dict[str, datetime | None]:
    """Seat, category and key-attention dates of 张三, by seat / category code / "key"."""
    await session.rollback()
    person = (await session.exec(select(Person).where(Person.code == "2023001"))).one()
    seats = await session.exec(
        select(Assignment.role, Assignment.assigned_at).where(Assignment.student_id == person.id)
    )
    categories = await session.exec(
        select(StudentCategory.category_code, StudentCategory.since).where(
            StudentCategory.student_id == person.id
        )
    )
    return {**dict(seats.all()), **dict(categories.all()), "key": person.key_attention_since}


async def test_a_first_import_dates_everything_at_the_import(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await _import(sessions, tmp_path / "a.xlsx", ZHANG, FIRST)

    assert await _dates(session) == dict.fromkeys(
        ("academic_mentor", "student_affairs", "orphan", "disabled", "key"), FIRST
    )


async def test_reimports_keep_the_dates(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    """The same file again, then with a new phone number (the row is rewritten, its seats and
    categories deleted and inserted again): every date stays."""
    await _import(sessions, tmp_path / "a.xlsx", ZHANG, FIRST)
    before = await _dates(session)

    again = await _import(sessions, tmp_path / "b.xlsx", ZHANG, SECOND)
    changed = await _import(
        sessions, tmp_path / "c.xlsx", ZHANG | {"联系电话": "13900000009"}, THIRD
    )

    assert not again.changed and changed.changed
    assert await _dates(session) == before


async def test_a_new_mentor_moves_only_that_seats_date(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await _import(sessions, tmp_path / "a.xlsx", ZHANG, FIRST)

    await _import(sessions, tmp_path / "b.xlsx", ZHANG | {"学工教师": "T3"}, SECOND)

    dates = await _dates(session)
    assert (dates["student_affairs"], dates["academic_mentor"]) == (SECOND, FIRST)
    assert (dates["orphan"], dates["key"]) == (FIRST, FIRST)


async def test_a_category_dates_from_the_import_that_gave_it(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await _import(sessions, tmp_path / "a.xlsx", ZHANG, FIRST)

    await _import(sessions, tmp_path / "b.xlsx", ZHANG | {"类别": "孤儿、低保家庭"}, SECOND)

    dates = await _dates(session)
    assert (dates["orphan"], dates["subsistence_allowance"]) == (FIRST, SECOND)
    assert "disabled" not in dates


async def test_the_key_attention_date_follows_the_flag(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await _import(sessions, tmp_path / "a.xlsx", ZHANG | {"重点关注": "否"}, FIRST)
    unflagged = (await _dates(session))["key"]

    await _import(sessions, tmp_path / "b.xlsx", ZHANG, SECOND)
    flagged = (await _dates(session))["key"]
    await _import(sessions, tmp_path / "c.xlsx", ZHANG | {"联系电话": "13900000009"}, THIRD)
    kept = (await _dates(session))["key"]
    await _import(sessions, tmp_path / "d.xlsx", ZHANG | {"重点关注": "否"}, THIRD)

    assert (unflagged, flagged, kept, (await _dates(session))["key"]) == (
        None,
        SECOND,
        SECOND,
        None,
    )


async def test_a_roster_first_loaded_mid_semester_starts_the_clocks_at_the_load(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    """The semester began on 9月7日; the school loads its roster on 11月2日."""
    await _import(sessions, tmp_path / "a.xlsx", ZHANG, THIRD)
    talk = RuleQuery(
        "talk",
        "student_affairs",
        None,
        ("谈心谈话",),
        Scope(),
        every_days=15,
        since=datetime(2026, 9, 6, 16, tzinfo=UTC),
    )

    next_day = await due_items(session, [talk], now=THIRD + timedelta(days=1))
    later = await due_items(session, [talk], now=THIRD + timedelta(days=16))

    assert next_day == []
    assert [item.due_at for item in later] == [THIRD + timedelta(days=15)]
