"""When a rule's clock starts for a student: no earlier than the remind seat's holder took it
(Assignment.assigned_at) and the student entered the rule's scope (StudentCategory.since,
Person.key_attention_since). A roster loaded mid-semester dates every row at the load, so a
team is never shown a student as overdue on day one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.due.evaluate import Scope, Strategy
from storage.models import Assignment, Person, StudentCategory
from tests.fakes.roster import make_staff, make_student
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

FIFTEEN = timedelta(days=15)


@pytest.fixture(params=["seek", "scan"])
def strategy(request: pytest.FixtureRequest) -> Strategy:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def staff(session: AsyncSession) -> Staff:
    return await make_team_staff(session)


def _at(month: int, day: int, hour: int = 0) -> datetime:
    year = 2027 if month < 9 else 2026
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


async def take_seat(
    session: AsyncSession, student: Person, seat: str, holder: Person, at: datetime
) -> None:
    """A new holder takes the seat at `at`, as a roster re-import with a new mentor does."""
    row = (
        await session.exec(
            select(Assignment).where(Assignment.student_id == student.id, Assignment.role == seat)
        )
    ).one()
    assert holder.id is not None
    row.mentor_id, row.assigned_at = holder.id, at.astimezone(UTC)
    session.add(row)


async def test_a_student_added_mid_semester_starts_the_talk_clock_then(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    veteran = await special(session, staff, name="老生")
    arrival = _at(11, 10, 10)
    newcomer = await special(session, staff, name="插班生", added=arrival)

    today = await evaluate(session, [TALK], strategy)
    ahead = await evaluate(session, [TALK], strategy, upcoming=timedelta(days=10))

    assert set(today) == {("talk", veteran.id)}  # due since 9月22日
    assert ahead["talk", newcomer.id].due_at == (arrival + FIFTEEN).astimezone(UTC)
    assert ahead["talk", veteran.id].due_at == (SEMESTER_START + FIFTEEN).astimezone(UTC)


async def test_a_roster_first_loaded_mid_semester_starts_every_clock_at_the_load(
    session: AsyncSession, strategy: Strategy
) -> None:
    """The school started using CareBot on 11月18日: nothing it could not know is overdue."""
    load = _at(11, 18, 10)
    teacher = await make_staff(session, name="王老师", added=load)
    student = await make_student(
        session, categories=("orphan",), team={"student_affairs": teacher}, added=load
    )

    next_day = await evaluate(session, [TALK, DORM], strategy, now=load + timedelta(days=1))
    later = await evaluate(
        session, [TALK, DORM], strategy, now=_at(11, 30, 20), upcoming=timedelta(days=4)
    )

    assert next_day == {}
    assert later["talk", student.id].due_at == (load + FIFTEEN).astimezone(UTC)
    # Twice in November: the visit due on the 16th, before the load, is not owed.
    assert later["dorm", student.id].due_at == _at(12, 1)


async def test_a_mentor_taking_over_a_seat_is_not_overdue_the_next_day(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    student = await special(session, staff)
    session.add(log(student, staff.peer, _at(10, 20, 15)))  # a team talk before the change
    newcomer = await make_staff(session, name="接任老师")
    takeover = _at(11, 20, 9)
    await take_seat(session, student, "student_affairs", newcomer, takeover)
    tutoring = replace(TALK, rule_id="mentor_talk", remind_seat="academic_mentor")

    next_day = await evaluate(
        session, [TALK, DORM, tutoring], strategy, now=takeover + timedelta(days=1)
    )
    after = await evaluate(session, [TALK], strategy, now=takeover + FIFTEEN + timedelta(hours=1))

    assert ("talk", student.id) not in next_day
    # The other seats keep their clocks: the academic mentor's ran from the team's last talk.
    assert next_day["mentor_talk", student.id].due_at == (_at(10, 20, 15) + FIFTEEN).astimezone(UTC)
    # Twice in November: the visit due on the 16th was the old holder's to make.
    assert ("dorm", student.id) not in next_day
    assert after["talk", student.id].person_id == newcomer.id
    assert after["talk", student.id].due_at == (takeover + FIFTEEN).astimezone(UTC)


async def test_the_second_visit_of_the_month_is_owed_by_a_mentor_who_took_over_mid_month(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    student = await special(session, staff)
    newcomer = await make_staff(session, name="接任老师")
    await take_seat(session, student, "student_affairs", newcomer, _at(11, 20, 9))

    items = await evaluate(session, [DORM], strategy, now=_at(11, 30, 20), upcoming=timedelta(1))

    item = items["dorm", student.id]
    assert (item.person_id, item.done, item.due_at) == (newcomer.id, 0, _at(12, 1))


async def test_a_student_who_gets_a_category_mid_semester_starts_its_clock_then(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    """Special since September (孤儿); 家庭经济困难 from 11月10日; 新认定 special only then."""
    given = _at(11, 10, 10)
    veteran = await special(session, staff, name="老生")
    assert veteran.id is not None
    session.add(
        StudentCategory(student_id=veteran.id, category_code="financial_hardship", since=given)
    )
    newly = await special(session, staff, name="新认定", since=given)
    poor = replace(TALK, rule_id="poor", scope=Scope(category="financial_hardship"))

    items = await evaluate(session, [TALK, poor], strategy, upcoming=timedelta(days=15))

    semester_clock = (SEMESTER_START + FIFTEEN).astimezone(UTC)
    assert items["talk", veteran.id].due_at == semester_clock  # special all along
    assert items["poor", veteran.id].due_at == (given + FIFTEEN).astimezone(UTC)
    assert items["talk", newly.id].due_at == (given + FIFTEEN).astimezone(UTC)
    assert ("poor", newly.id) not in items


async def test_key_attention_set_mid_semester_starts_its_clock_then(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    flagged = _at(11, 12, 10)
    student = await special(session, staff)
    student.key_attention, student.key_attention_since = True, flagged.astimezone(UTC)
    session.add(student)
    weekly_talk = replace(
        TALK, rule_id="key_talk", every_days=7, scope=Scope(key_attention_only=True)
    )

    items = await evaluate(session, [TALK, weekly_talk], strategy, upcoming=timedelta(days=7))

    assert items["talk", student.id].due_at == (SEMESTER_START + FIFTEEN).astimezone(UTC)
    assert items["key_talk", student.id].due_at == (flagged + timedelta(days=7)).astimezone(UTC)


async def test_a_contact_before_the_clock_starts_does_not_make_it_overdue_on_day_one(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    """A transferred student's old logs are real contacts, shown as the last one; a contact
    after the clock start sets the clock."""
    arrival = _at(11, 10)
    moved = await special(session, staff, name="转入", added=arrival)
    session.add(log(moved, staff.teacher, _at(10, 20, 15)))
    talked = await special(session, staff, name="已谈", added=arrival)
    session.add(log(talked, staff.teacher, _at(11, 12, 15)))

    items = await evaluate(session, [TALK], strategy, upcoming=timedelta(days=20))

    assert items["talk", moved.id].due_at == (arrival + FIFTEEN).astimezone(UTC)
    assert items["talk", moved.id].last_at == _at(10, 20, 15).astimezone(UTC)
    assert items["talk", talked.id].due_at == (_at(11, 12, 15) + FIFTEEN).astimezone(UTC)


async def test_paced_visits_due_before_the_clock_starts_are_not_owed(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    """Twice in November: the first visit is due on the 16th, the second on December 1st."""
    early = await special(session, staff, name="十日", added=_at(11, 10))
    late = await special(session, staff, name="十六日", added=_at(11, 16, 8))
    visited = await special(session, staff, name="已访", added=_at(11, 20))
    session.add(log(visited, staff.teacher, _at(11, 24), "走访寝室"))
    month_end = _at(11, 30, 20)

    today = await evaluate(session, [DORM], strategy)
    later = await evaluate(session, [DORM], strategy, now=month_end, upcoming=timedelta(days=1))

    assert set(today) == {("dorm", early.id)}
    assert today["dorm", early.id].due_at == _at(11, 16)
    assert set(later) == {("dorm", early.id), ("dorm", late.id)}
    assert (later["dorm", late.id].done, later["dorm", late.id].due_at) == (0, _at(12, 1))
    assert (later["dorm", early.id].done, later["dorm", early.id].due_at) == (0, _at(11, 16))


async def test_once_a_semester_is_still_owed_by_a_student_who_joins_late(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    end = _at(1, 31)
    survey = replace(DORM, rule_id="survey", times=1, period_start=SEMESTER_START, period_end=end)
    newcomer = await special(session, staff, name="寒假前", added=_at(1, 20))

    items = await evaluate(session, [survey], strategy, now=_at(1, 25, 9), upcoming=timedelta(7))

    assert items["survey", newcomer.id].due_at == end


async def test_rows_without_dates_keep_the_periods_clock(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    """Rows written without a date (before the dates were kept) start with the period; a
    dated category still starts its own clock."""
    legacy = await special(session, staff, name="旧数据", categories=("orphan", "disabled"))
    for row in (await session.exec(select(Assignment))).all():
        row.assigned_at = None
        session.add(row)
    for category in (await session.exec(select(StudentCategory))).all():
        category.since = _at(11, 10) if category.category_code == "disabled" else None
        session.add(category)
    disabled = replace(TALK, rule_id="disabled", scope=Scope(category="disabled"))

    items = await evaluate(session, [TALK, disabled], strategy, upcoming=timedelta(days=30))

    assert items["talk", legacy.id].due_at == (SEMESTER_START + FIFTEEN).astimezone(UTC)
    assert items["disabled", legacy.id].due_at == (_at(11, 10) + FIFTEEN).astimezone(UTC)
