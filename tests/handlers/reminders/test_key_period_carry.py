"""A key period that ends unfulfilled (the talk before 国庆节 not done) stays in `待办` and the
digest as overdue until a contact is logged or the next key period (国庆节后返校, 10月8日)
starts. 国庆节前 is 9月24日–30日 in the shipped policy."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Context, HandlerConfig
from handlers.policy.load import load_policy
from handlers.policy.periods import carried_periods, owed_until
from handlers.reminders.digest import digest_messages
from handlers.reminders.items import Reminder, due_for
from tests.fakes.care_roster import College, build_college, log_visit
from tests.fakes.clock import SHANGHAI

POLICY = load_policy()
NATIONAL_DAY = "国庆节前"


def _at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


async def _owed(session: AsyncSession, college: College, now: datetime) -> dict[str, Reminder]:
    """Student name → their 国庆节前 reminder for the counsellor at `now`."""
    config = HandlerConfig(tz=SHANGHAI, hotline="x", channels=("simulator",), policy=POLICY)
    assert college.counsellor.id is not None
    board = await due_for(Context(session=session, now=now, config=config), college.counsellor.id)
    items = board.get(college.counsellor.id, [])
    return {item.student.name: item for item in items if item.period == NATIONAL_DAY}


def test_a_key_period_is_owed_until_the_day_before_the_next_one_starts() -> None:
    [national] = [p for p in carried_periods(date(2026, 10, 3), POLICY) if p.name == NATIONAL_DAY]

    assert owed_until(national, POLICY) == date(2026, 10, 7)
    assert NATIONAL_DAY not in {p.name for p in carried_periods(date(2026, 10, 8), POLICY)}
    assert NATIONAL_DAY not in {p.name for p in carried_periods(date(2026, 9, 30), POLICY)}


async def test_an_unfulfilled_key_period_is_overdue_until_a_contact_is_logged(
    session: AsyncSession,
) -> None:
    college = await build_college(session, students=2, key_attention=0)
    talked, silent = college.students
    await log_visit(session, talked, college.peer, kind="谈心谈话", at=_at(9, 25))

    after = await _owed(session, college, _at(10, 3))
    await log_visit(session, silent, college.counsellor, kind="电话/线上联系", at=_at(10, 5, 15))
    done = await _owed(session, college, _at(10, 6))

    assert set(after) == {silent.name}
    assert (after[silent.name].overdue_days, after[silent.name].deadline) == (2, date(2026, 10, 3))
    assert done == {}  # the call on 10月5日 made up for it


async def test_an_unfulfilled_key_period_is_dropped_when_the_next_one_starts(
    session: AsyncSession,
) -> None:
    college = await build_college(session, students=1, key_attention=0)

    last_day = await _owed(session, college, _at(10, 7))
    next_period = await _owed(session, college, _at(10, 8))

    assert set(last_day) == {college.students[0].name}
    assert next_period == {}


async def test_the_digest_shows_the_carried_key_period_as_overdue(
    session: AsyncSession,
) -> None:
    college = await build_college(session, students=1, key_attention=0)

    owed = await _owed(session, college, _at(10, 5))
    [card] = digest_messages(list(owed.values()), name="王老师", restricted=False)

    assert NATIONAL_DAY in card.text and "逾期 4 天" in card.text
