"""The 学习困难 ledger text per student and semester, and the 重修 courses listed per college."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.academic.warnings import import_grades_file
from handlers.context import Context, HandlerConfig
from handlers.policy.load import load_policy
from storage.academic.ledger import academic_texts
from storage.academic.retakes import retakes_for_college
from tests.fakes.care_roster import build_college
from tests.fakes.clock import SHANGHAI
from tests.storage.academic.books import AUTUMN, grade_row, grades_book

NOW = datetime(2027, 1, 20, 2, tzinfo=UTC)


def _ctx(session: AsyncSession) -> Context:
    config = HandlerConfig(tz=SHANGHAI, hotline="x", policy=load_policy())
    return Context(session=session, now=NOW, config=config)


async def test_the_ledger_text_says_gpa_credits_failures_retakes_and_level(
    session: AsyncSession, tmp_path: Path
) -> None:
    college = await build_college(session, students=3, key_attention=0, other_college=1)
    red, fine, ungraded = college.students[:3]
    other = college.students[3]
    path = grades_book(tmp_path / "g.xlsx", [
        grade_row(red.code, "M1", name="高等数学", nature="学位课", credits=4, score=55),
        grade_row(red.code, "M2", name="线性代数", nature="学位课", credits=3, score=86),
        grade_row(red.code, "E1", name="大学英语", credits=2.5, score=None, letter="中",
                  attempt="重修"),
        grade_row(fine.code, "P1", name="体育", nature="选修", credits=1, score=None, letter="优"),
        grade_row(other.code, "M1", name="高等数学", nature="学位课", credits=4, score=61,
                  attempt="重修", department="数学学院", teacher="钱老师"),
    ])  # fmt: skip
    await import_grades_file(_ctx(session), path)
    ids = [s.id for s in (red, fine, ungraded) if s.id is not None]

    texts = await academic_texts(session, student_ids=ids, semester=AUTUMN)
    spring = await academic_texts(session, student_ids=ids, semester="2026-2027学年第二学期")

    # degree GPA: (4 × 0 + 3 × 3.7) / 7 = 1.5857 → 1.59
    assert texts == {
        red.id: "学位课平均绩点 1.59；应修 9.5 学分，已获 5.5；不及格：高等数学（学位课，4 学分）；"
        "重修：大学英语；预警：红色",
        fine.id: "应修 1 学分，已获 1；无不及格课程",
    }
    assert spring == {}


async def test_retakes_are_listed_per_student_for_a_college_or_the_school(
    session: AsyncSession, tmp_path: Path
) -> None:
    college = await build_college(session, students=2, key_attention=0, other_college=1)
    first, second, other = college.students
    path = grades_book(tmp_path / "g.xlsx", [
        grade_row(first.code, "M1", name="高等数学", attempt="重修", teacher="钱老师"),
        grade_row(first.code, "M2", name="线性代数"),
        grade_row(other.code, "C1", name="程序设计", attempt="重修", department="计算机学院"),
        grade_row(second.code, "M1", name="高等数学", attempt="重修", semester="2026-春"),
    ])  # fmt: skip
    await import_grades_file(_ctx(session), path)

    mine = await retakes_for_college(session, college="计算机学院", semester=AUTUMN)
    school = await retakes_for_college(session, college=None, semester=AUTUMN)

    assert [(r.student_code, r.course_name, r.teacher) for r in mine] == [
        (first.code, "高等数学", "钱老师")
    ]
    assert sorted(r.student_code for r in school) == sorted([first.code, other.code])
