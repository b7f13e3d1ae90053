"""`due_items(person_id=...)`: one person's items, evaluated in SQL for their students alone,
are exactly the school's items for that person."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.due.evaluate import RuleQuery, Scope, Strategy
from storage.models import Person
from tests.fakes.roster import make_staff, make_student
from tests.storage.due.test_evaluate import DORM, NOVEMBER, NOW, TALK, evaluate, log

TUTORING = RuleQuery(
    "tutoring",
    "academic_mentor",
    ("academic_mentor",),
    ("学业辅导",),
    Scope(),
    times=1,
    period_start=NOVEMBER[0],
    period_end=NOVEMBER[1],
)
ANYONE = replace(TALK, rule_id="anyone", counted_seats=None, scope=Scope(key_attention_only=True))
RULES = [TALK, DORM, TUTORING, ANYONE]
AHEAD = timedelta(days=20)  # the tutoring rule falls due at the end of the month


@pytest.fixture(params=["seek", "scan", "auto"])
def strategy(request: pytest.FixtureRequest) -> Strategy:
    return request.param  # type: ignore[no-any-return]


async def test_one_persons_items_are_the_schools_items_for_that_person(
    session: AsyncSession, strategy: Strategy
) -> None:
    wang = await make_staff(session, name="王老师")
    li = await make_staff(session, name="李老师")
    mentor = await make_staff(session, name="导师", roles=("academic_mentor",))
    peer = await make_student(session, name="朋辈")
    outsider = await make_staff(session, name="赵老师")
    # 王老师 is the student-affairs teacher of one team and the academic mentor of the other.
    first = {"academic_mentor": mentor, "student_affairs": wang, "peer_mentor": peer}
    second = {"academic_mentor": wang, "student_affairs": li, "peer_mentor": peer}
    students = [
        await _special(session, "甲", first),
        await _special(session, "乙", first, key_attention=True),
        await _special(session, "丙", second),
        await _special(session, "丁", second, key_attention=True),
        await _special(session, "戊", {"student_affairs": wang}),
    ]
    session.add(log(students[1], peer, NOW - timedelta(days=20)))
    session.add(log(students[2], wang, NOW - timedelta(days=2), "学业辅导"))
    session.add(log(students[3], li, NOW - timedelta(days=5), "走访寝室"))

    school = await evaluate(session, RULES, strategy, upcoming=AHEAD)

    wangs = {
        (rule, student) for (rule, student), item in school.items() if item.person_id == wang.id
    }
    assert {rule for rule, _ in wangs} == {"talk", "dorm", "tutoring", "anyone"}  # both seats
    for person in (wang, li, mentor, peer, outsider):
        mine = await evaluate(session, RULES, strategy, upcoming=AHEAD, person_id=person.id)
        assert mine == {key: item for key, item in school.items() if item.person_id == person.id}


async def _special(
    session: AsyncSession, name: str, team: dict[str, Person], *, key_attention: bool = False
) -> Person:
    return await make_student(
        session, name=name, categories=("orphan",), key_attention=key_attention, team=team
    )
