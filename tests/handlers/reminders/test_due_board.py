"""What `待办` evaluates: one person's board, and students who joined mid-semester."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Context, HandlerConfig
from handlers.policy.load import load_policy
from handlers.reminders.items import due_for
from storage.people.identify import AccountMatch
from tests.fakes.care_roster import build_college, log_visit
from tests.fakes.clock import SHANGHAI
from tests.fakes.roster import make_student

POLICY = load_policy()
NOW = datetime(2026, 11, 23, 9, tzinfo=SHANGHAI)


def _ctx(session: AsyncSession, now: datetime = NOW) -> Context:
    config = HandlerConfig(
        tz=SHANGHAI,
        hotline="x",
        channels=("simulator",),
        policy=POLICY,
        account_match={"simulator": AccountMatch.ROSTER_CODE},
    )
    return Context(session=session, now=now, config=config)


async def test_one_persons_board_is_the_schools_board_for_that_person(
    session: AsyncSession,
) -> None:
    college = await build_college(session, students=4, key_attention=1, other_college=2)
    first, second = college.students[:2]
    await log_visit(session, first, college.peer, kind="谈心谈话", at=NOW - timedelta(days=20))
    await log_visit(session, second, college.mentor, kind="学业辅导", at=NOW - timedelta(days=3))

    school = await due_for(_ctx(session))

    assert {college.counsellor.id, college.other.id} <= set(school)
    for person in (college.counsellor, college.mentor, college.other, college.admin):
        assert person.id is not None
        mine = await due_for(_ctx(session), person.id)
        assert mine == ({person.id: school[person.id]} if person.id in school else {})


async def test_a_student_added_mid_semester_is_not_overdue_on_day_one(
    session: AsyncSession,
) -> None:
    college = await build_college(session, students=1, key_attention=0)
    newcomer = await make_student(
        session,
        name="插班生",
        categories=("orphan",),
        team={"student_affairs": college.counsellor, "academic_mentor": college.mentor},
        added=datetime(2026, 11, 20, 10, tzinfo=SHANGHAI).astimezone(UTC),
    )
    assert college.counsellor.id is not None

    today = await due_for(_ctx(session), college.counsellor.id)
    in_two_weeks = await due_for(_ctx(session, NOW + timedelta(days=12)), college.counsellor.id)

    names = {item.student.name for item in today[college.counsellor.id]}
    assert names == {college.students[0].name}  # the old hand, never talked with, is overdue
    talks = [i for i in in_two_weeks[college.counsellor.id] if i.student.id == newcomer.id]
    assert [(i.rule_id, i.overdue_days) for i in talks if i.rule_id == "talk"] == [("talk", 0)]
