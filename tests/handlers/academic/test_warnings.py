"""After a grades import: who hears of a new or raised academic warning (the academic mentor
and the student-affairs teacher, never the peer mentor), never twice, with the thresholds the
policy file sets; and the 学业辅导 reminder it starts until a 学业辅导 log satisfies it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.academic.warnings import import_grades_file
from handlers.context import Context, HandlerConfig
from handlers.policy.load import load_policy
from handlers.reminders.items import due_for
from handlers.reminders.rules import plans_at
from storage.academic.standing import WarningThresholds
from storage.due.evaluate import due_items
from storage.models import AcademicWarning, OutboxMessage, Person
from storage.people.identify import AccountMatch
from tests.fakes.care_roster import College, build_college, log_visit
from tests.fakes.clock import SHANGHAI
from tests.storage.academic.books import AUTUMN, grade_row, grades_book

POLICY = load_policy()
NOW = datetime(2027, 1, 20, 10, tzinfo=SHANGHAI)
RULE = "academic_warning_tutoring"


def _ctx(session: AsyncSession, *, now: datetime = NOW, policy: object = POLICY) -> Context:
    config = HandlerConfig(
        tz=SHANGHAI,
        hotline="x",
        channels=("simulator",),
        policy=policy,  # type: ignore[arg-type]
        account_match={"simulator": AccountMatch.ROSTER_CODE},
    )
    return Context(session=session, now=now, config=config)


async def _sent(session: AsyncSession) -> list[tuple[str, str, str, str]]:
    """(recipient, card title, button key, text) per queued message, in queue order."""
    rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    found = []
    for row in rows:
        payload = json.loads(row.payload)
        button = payload["buttons"][0]["key"] if payload["buttons"] else ""
        found.append((row.recipient, payload["title"], button, payload["text"]))
    return found


def _first_file(tmp_path: Path, college: College, name: str = "1.xlsx") -> Path:
    red, yellow, fine = (s.code for s in college.students[:3])
    return grades_book(
        tmp_path / name,
        [
            grade_row(red, "MATH1", name="高等数学", nature="学位课", credits=4, score=52),
            grade_row(red, "ENG1", name="大学英语", credits=3, score=81),
            grade_row(yellow, "PHY1", name="大学物理", credits=3, score=40),
            grade_row(
                yellow,
                "CHE1",
                name="普通化学",
                credits=3,
                score=None,
                letter="不及格",
                attempt="重修",
            ),
            grade_row(fine, "PHY1", name="大学物理", credits=3, score=90),
            grade_row("2023999999", "PHY1", credits=20, score=0),  # no special student
        ],
    )


async def test_a_new_warning_goes_to_the_mentor_and_the_counsellor_once(
    session: AsyncSession, tmp_path: Path
) -> None:
    college = await build_college(session, students=3, key_attention=0)
    red, yellow = college.students[:2]
    path = _first_file(tmp_path, college)

    outcome = await import_grades_file(_ctx(session), path)
    again = await import_grades_file(_ctx(session), path)

    assert (outcome.new, outcome.raised, outcome.told) == (2, 0, 4)
    assert (again.new, again.raised, again.told) == (0, 0, 0)
    sent = await _sent(session)
    assert [(to, title, key) for to, title, key, _ in sent] == [
        ("T200", "学业预警（红色）", f"visit:start:{red.id}:学业辅导"),
        ("T100", "学业预警（红色）", f"visit:start:{red.id}:学业辅导"),
        ("T200", "学业预警（黄色）", f"visit:start:{yellow.id}:学业辅导"),
        ("T100", "学业预警（黄色）", f"visit:start:{yellow.id}:学业辅导"),
    ]
    assert "P300" not in {to for to, *_ in sent}  # the peer mentor sits in both teams
    assert "高等数学（学位课，4 学分）" in sent[0][3] and "大学英语" not in sent[0][3]
    assert "不及格 6 学分" in sent[2][3] and "本学期重修：普通化学" in sent[2][3]
    stored = (
        await session.exec(select(AcademicWarning).order_by(col(AcademicWarning.student_id)))
    ).all()
    assert [(w.student_id, w.semester, w.level, w.notified_level) for w in stored] == [
        (red.id, AUTUMN, "红色", "红色"),
        (yellow.id, AUTUMN, "黄色", "黄色"),
        (college.students[2].id, AUTUMN, None, None),
    ]


async def test_a_raised_warning_is_sent_and_a_lowered_one_is_not(
    session: AsyncSession, tmp_path: Path
) -> None:
    college = await build_college(session, students=3, key_attention=0)
    yellow = college.students[1]
    await import_grades_file(_ctx(session), _first_file(tmp_path, college))
    worse = grades_book(tmp_path / "2.xlsx", [
        grade_row(yellow.code, "PHY1", name="大学物理", credits=8, score=40),
        grade_row(yellow.code, "CHE1", name="普通化学", credits=8, score=30),
    ])  # fmt: skip
    better = grades_book(tmp_path / "3.xlsx", [grade_row(yellow.code, "PHY1", score=70)])

    raised = await import_grades_file(_ctx(session), worse)
    lowered = await import_grades_file(_ctx(session), better)
    back = await import_grades_file(_ctx(session), worse)

    assert (raised.new, raised.raised, raised.told) == (0, 1, 2)
    assert (lowered.told, back.told) == (0, 0)  # red was told already
    titles = [(to, title) for to, title, *_ in (await _sent(session))[4:]]
    assert titles == [("T200", "学业预警升级为红色"), ("T100", "学业预警升级为红色")]


async def test_the_thresholds_come_from_the_policy(session: AsyncSession, tmp_path: Path) -> None:
    college = await build_college(session, students=3, key_attention=0)
    strict = replace(POLICY, academic_warning=WarningThresholds(2, 3, False))
    fine = college.students[2]
    path = grades_book(tmp_path / "g.xlsx", [
        grade_row(college.students[0].code, "D1", nature="学位课", credits=2, score=50),
        grade_row(fine.code, "X1", credits=3, score=10),
    ])  # fmt: skip

    await import_grades_file(_ctx(session, policy=strict), path)

    stored = (
        await session.exec(select(AcademicWarning).order_by(col(AcademicWarning.student_id)))
    ).all()
    assert [w.level for w in stored] == ["黄色", "红色"]


async def test_a_dry_run_stores_and_sends_nothing(session: AsyncSession, tmp_path: Path) -> None:
    college = await build_college(session, students=3, key_attention=0)
    outcome = await import_grades_file(_ctx(session), _first_file(tmp_path, college), dry_run=True)
    assert (len(outcome.found.grades), outcome.told) == (5, 0)
    assert (await session.exec(select(AcademicWarning))).all() == []
    assert await _sent(session) == []


async def _tutoring_due(session: AsyncSession, mentor: Person, at: datetime) -> list[str]:
    assert mentor.id is not None
    board = await due_for(_ctx(session, now=at), mentor.id)
    return sorted(r.student.name for r in board.get(mentor.id, []) if r.rule_id == RULE)


async def test_a_warning_starts_the_mentors_tutoring_reminder_until_a_log_satisfies_it(
    session: AsyncSession, tmp_path: Path
) -> None:
    college = await build_college(session, students=3, key_attention=0)
    red, yellow, fine = college.students[:3]
    assert await _tutoring_due(session, college.mentor, NOW) == []

    await import_grades_file(_ctx(session), _first_file(tmp_path, college))
    assert await _tutoring_due(session, college.mentor, NOW) == sorted([red.name, yellow.name])
    assert college.counsellor.id is not None
    counsellor = await due_for(_ctx(session), college.counsellor.id)
    assert RULE not in {r.rule_id for r in counsellor.get(college.counsellor.id, [])}

    await log_visit(session, red, college.mentor, kind="学业辅导", at=NOW - timedelta(hours=1))
    assert await _tutoring_due(session, college.mentor, NOW) == [yellow.name]
    later = NOW + timedelta(days=15)
    assert await _tutoring_due(session, college.mentor, later) == sorted([red.name, yellow.name])

    # spring grades without a failure close the red student's warning
    spring = grades_book(tmp_path / "s.xlsx", [grade_row(red.code, "M1", semester="2027-春")])
    await import_grades_file(_ctx(session, now=later), spring)
    assert await _tutoring_due(session, college.mentor, later) == [yellow.name]
    assert fine.name not in await _tutoring_due(session, college.mentor, later)


async def test_seek_and_scan_find_the_same_students_with_an_open_warning(
    session: AsyncSession, tmp_path: Path
) -> None:
    college = await build_college(session, students=3, key_attention=0)
    await import_grades_file(_ctx(session), _first_file(tmp_path, college))
    queries = [p.query for p in plans_at(POLICY, at=NOW, tz=SHANGHAI) if p.query.rule_id == RULE]

    found = {
        strategy: sorted(
            item.student_id
            for item in await due_items(session, queries, now=NOW, strategy=strategy)
        )
        for strategy in ("seek", "scan")
    }

    red, yellow = (s.id for s in college.students[:2])
    assert found == {"seek": sorted([red, yellow]), "scan": sorted([red, yellow])}  # type: ignore[type-var]
