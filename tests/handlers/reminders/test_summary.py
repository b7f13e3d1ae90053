"""The weekly summaries: a college admin's names their college's teachers and students; a
school admin's is a table per college across the school, counts only."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Context, HandlerConfig
from handlers.policy.load import load_policy
from handlers.reminders.summary import run_admin_summaries
from storage.models import OutboxMessage
from storage.people.identify import AccountMatch
from tests.fakes.care_roster import build_college
from tests.fakes.clock import SHANGHAI

POLICY = load_policy()
MONDAY = datetime(2026, 11, 23, 8, 40, tzinfo=SHANGHAI)


def _ctx(session: AsyncSession, now: datetime = MONDAY) -> Context:
    config = HandlerConfig(
        tz=SHANGHAI,
        hotline="x",
        channels=("simulator",),
        policy=POLICY,
        account_match={"simulator": AccountMatch.ROSTER_CODE},
    )
    return Context(session=session, now=now, config=config)


async def _texts(session: AsyncSession, prefix: str) -> dict[int | None, str]:
    query = select(OutboxMessage).where(col(OutboxMessage.idempotency_key).startswith(prefix))
    rows = (await session.exec(query)).all()
    return {row.person_id: json.loads(row.payload)["text"] for row in rows}


async def test_a_school_admin_gets_a_table_per_college_across_the_school(
    session: AsyncSession,
) -> None:
    """Nobody was contacted: each student's talk, November's first dorm visit and the return
    week after 国庆节 are long overdue (3 items a student)."""
    college = await build_college(session, students=3, key_attention=1, other_college=1)

    sent = await run_admin_summaries(_ctx(session))
    again = await run_admin_summaries(_ctx(session))

    school = await _texts(session, "school_summary:")
    colleges = await _texts(session, "admin_summary:")
    assert (sent, again) == (2, 0)
    assert set(school) == {college.school_admin.id} and set(colleges) == {college.admin.id}
    lines = school[college.school_admin.id].splitlines()
    assert lines[0].startswith("全校本周逾期帮扶汇总")
    assert lines[1:5] == [
        "学院 | 逾期项 | 涉及学生 | 涉及老师",
        "计算机学院 | 9 | 3 | 1",
        "机械工程学院 | 3 | 1 | 1",
        "合计 | 12 | 4 | 2",
    ]
    assert not any(student.name in school[college.school_admin.id] for student in college.students)
    assert "机械" not in colleges[college.admin.id]


async def test_a_school_admin_is_recorded_and_not_messaged_when_nothing_is_overdue(
    session: AsyncSession,
) -> None:
    college = await build_college(session, students=0, key_attention=0)

    sent = await run_admin_summaries(_ctx(session))

    assert sent == 0 and await _texts(session, "school_summary:") == {}
    assert college.school_admin.id is not None
