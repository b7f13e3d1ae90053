"""Students added to the roster mid-semester (Person.created_at after the roster's first load):
their clocks start when they were added, so a team is not shown a new student as overdue on
day one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.due.evaluate import Strategy
from storage.models import Person
from tests.storage.due.test_evaluate import (
    DORM,
    SEMESTER_START,
    SHANGHAI,
    TALK,
    Staff,
    evaluate,
    log,
    make_team_staff,
    special,
)


@pytest.fixture(params=["seek", "scan"])
def strategy(request: pytest.FixtureRequest) -> Strategy:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def staff(session: AsyncSession) -> Staff:
    return await make_team_staff(session)


async def joined(session: AsyncSession, staff: Staff, at: datetime, name: str) -> Person:
    student = await special(session, staff, name=name)
    student.created_at = at.astimezone(UTC)
    session.add(student)
    return student


async def test_a_new_students_talk_falls_due_every_days_after_joining(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    veteran = await special(session, staff, name="老生")
    arrival = datetime(2026, 11, 10, 10, tzinfo=SHANGHAI)
    newcomer = await joined(session, staff, arrival, "插班生")

    today = await evaluate(session, [TALK], strategy)
    ahead = await evaluate(session, [TALK], strategy, upcoming=timedelta(days=10))

    assert set(today) == {("talk", veteran.id)}  # due since 9月22日
    assert ahead["talk", newcomer.id].due_at == (arrival + timedelta(days=15)).astimezone(UTC)
    assert ahead["talk", veteran.id].due_at == (SEMESTER_START + timedelta(days=15)).astimezone(UTC)


async def test_the_first_roster_load_keeps_the_semesters_clock(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    """Loading the roster is when the school started using CareBot, not when care began."""
    first_load = datetime(2026, 11, 10, 10, tzinfo=SHANGHAI).astimezone(UTC)
    veteran = await special(session, staff, name="首批")
    for person in (veteran, staff.mentor, staff.teacher, staff.peer, staff.counsellor):
        person.created_at = first_load
        session.add(person)
    newcomer = await joined(session, staff, first_load + timedelta(days=2), "次批")

    items = await evaluate(session, [TALK], strategy, upcoming=timedelta(days=12))

    assert items["talk", veteran.id].due_at == (SEMESTER_START + timedelta(days=15)).astimezone(UTC)
    assert items["talk", newcomer.id].due_at == first_load + timedelta(days=17)


async def test_a_recorded_contact_sets_the_clock_even_before_joining(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    """Logs carried over from before the student's record existed are real contacts."""
    newcomer = await joined(session, staff, datetime(2026, 11, 10, tzinfo=SHANGHAI), "转入")
    talked = datetime(2026, 10, 20, 15, tzinfo=SHANGHAI)
    session.add(log(newcomer, staff.teacher, talked))

    item = (await evaluate(session, [TALK], strategy))["talk", newcomer.id]

    assert item.due_at == (talked + timedelta(days=15)).astimezone(UTC)


async def test_paced_visits_due_before_joining_are_not_owed(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    """Twice in November: the first visit is due on the 16th, the second on December 1st."""
    early = await joined(session, staff, datetime(2026, 11, 10, tzinfo=SHANGHAI), "十日")
    late = await joined(session, staff, datetime(2026, 11, 16, 8, tzinfo=SHANGHAI), "十六日")
    visited = await joined(session, staff, datetime(2026, 11, 20, tzinfo=SHANGHAI), "已访")
    session.add(log(visited, staff.teacher, datetime(2026, 11, 24, tzinfo=SHANGHAI), "走访寝室"))
    month_end = datetime(2026, 11, 30, 20, tzinfo=SHANGHAI)

    today = await evaluate(session, [DORM], strategy)
    later = await evaluate(session, [DORM], strategy, now=month_end, upcoming=timedelta(days=1))

    assert set(today) == {("dorm", early.id)}
    assert today["dorm", early.id].due_at == datetime(2026, 11, 16, tzinfo=SHANGHAI)
    assert set(later) == {("dorm", early.id), ("dorm", late.id)}
    assert (later["dorm", late.id].done, later["dorm", late.id].due_at) == (
        0,
        datetime(2026, 12, 1, tzinfo=SHANGHAI),
    )
    assert (later["dorm", early.id].done, later["dorm", early.id].due_at) == (
        0,
        datetime(2026, 11, 16, tzinfo=SHANGHAI),
    )


async def test_once_a_semester_is_still_owed_by_a_student_who_joins_late(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    end = datetime(2027, 1, 31, tzinfo=SHANGHAI)
    survey = replace(DORM, rule_id="survey", times=1, period_start=SEMESTER_START, period_end=end)
    newcomer = await joined(session, staff, datetime(2027, 1, 20, tzinfo=SHANGHAI), "寒假前")
    near_end = datetime(2027, 1, 25, 9, tzinfo=SHANGHAI)

    items = await evaluate(session, [survey], strategy, now=near_end, upcoming=timedelta(days=7))

    assert items["survey", newcomer.id].due_at == end
