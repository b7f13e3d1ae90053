"""`grades import`: every problem named by row and column, nothing written on any problem, a
semester imported again replaced, and only special students' grades kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.academic.warnings import semester_lookup
from handlers.policy.load import load_policy
from storage.academic.importer import GradeImportError, import_grades
from storage.models import Grade, Person
from tests.fakes.care_roster import College, build_college
from tests.storage.academic.books import AUTUMN, HEADER, grade_row, grades_book

NOW = datetime(2027, 1, 20, 2, tzinfo=UTC)
LOOKUP = semester_lookup(load_policy())
SPRING = "2025-2026学年第二学期"


async def _import(session: AsyncSession, path: Path, **options: object) -> object:
    return await import_grades(session, path, semesters=LOOKUP, now=NOW, **options)  # type: ignore[arg-type]


async def _grades(session: AsyncSession) -> list[tuple[str, str, str, float, bool, float, bool]]:
    query = (
        select(
            Person.code,
            Grade.semester,
            Grade.course_code,
            Grade.credits,
            Grade.passed,
            Grade.points,
            Grade.retake,
        )
        .join(Person, col(Person.id) == col(Grade.student_id))
        .order_by(col(Person.code), col(Grade.semester), col(Grade.course_code))
    )
    return list((await session.exec(query)).all())


@pytest.fixture
async def college(session: AsyncSession) -> College:
    return await build_college(session, students=3, key_attention=0)


async def test_every_problem_is_named_by_row_and_column_and_nothing_is_written(
    session: AsyncSession, college: College, tmp_path: Path
) -> None:
    first = college.students[0].code
    path = grades_book(
        tmp_path / "g.xlsx",
        [
            grade_row(first, "M1", score=55),  # fine
            grade_row("2099000000", "M2"),
            grade_row(first, "M3", semester="2026年冬"),
            grade_row(first, "M4", nature="专业课", credits="三"),
            grade_row(first, "M5", score=101, attempt="补考"),
            grade_row(first, "M6", score=None, letter="甲"),
            grade_row(first, "M7", score=None, letter=None),
            grade_row(first, "M1", score=70),
            grade_row(first, "", name=" "),
        ],
    )
    with pytest.raises(GradeImportError) as refused:
        await _import(session, path)
    assert refused.value.problems == [
        "第4行 学期: 无法识别的学期「2026年冬」，"
        "请写成校历里的学期名（如 2026-2027学年第一学期）或 2026-秋、2027-春",
        "第5行 课程性质: 应为「必修」、「选修」、「学位课」之一，而不是「专业课」",
        "第5行 学分: 学分应是大于 0、不超过 30 的数字，而不是「三」",
        "第6行 首修/重修: 应为「首修」、「重修」之一，而不是「补考」",
        "第6行 成绩: 成绩应是 0 到 100 之间的数字，而不是「101」",
        "第7行 等级: 无法识别的等级「甲」，可以写：优、良、中、及格、不及格、A、B、C、D、F",
        "第8行 成绩: 成绩和等级都是空的，请填写其中一个",
        "第10行 课程代码: 必填，不能为空",
        "第10行 课程名称: 必填，不能为空",
    ]
    assert await _grades(session) == []


async def test_unknown_students_and_repeated_courses_are_refused_after_the_cells(
    session: AsyncSession, college: College, tmp_path: Path
) -> None:
    first = college.students[0].code
    rows = [grade_row(first, "M1"), grade_row("2099000000", "M2"), grade_row(first, "M1")]
    with pytest.raises(GradeImportError) as refused:
        await _import(session, grades_book(tmp_path / "g.xlsx", rows))
    assert refused.value.problems == [
        "第3行 学号: 花名册里没有学号「2099000000」的学生，请核对学号，或先导入花名册",
        "第4行 课程代码: 与第2行是同一学生、同一学期的同一门课程",
    ]
    assert await _grades(session) == []


async def test_missing_columns_are_named(session: AsyncSession, tmp_path: Path) -> None:
    header = [name for name in HEADER if name not in ("学分", "成绩", "等级")]
    path = grades_book(tmp_path / "g.xlsx", [["x"] * len(header)], header=header)
    with pytest.raises(GradeImportError) as refused:
        await _import(session, path)
    assert refused.value.problems == ["缺少必填列：学分、成绩/等级"]


async def test_marks_map_to_points_and_short_semester_names_to_the_policys(
    session: AsyncSession, college: College, tmp_path: Path
) -> None:
    first = college.students[0].code
    rows = [
        grade_row(first, "M1", nature="学位课", credits=4, score=58),
        grade_row(first, "M2", credits=2.5, score=None, letter="良", attempt="重修"),
        grade_row(first, "M3", score="优", semester="2026-春"),
    ]
    found = await _import(session, grades_book(tmp_path / "g.xlsx", rows))
    assert len(found.grades) == 3  # type: ignore[attr-defined]
    assert await _grades(session) == [
        (first, SPRING, "M3", 3.0, True, 4.0, False),
        (first, AUTUMN, "M1", 4.0, False, 0.0, False),
        (first, AUTUMN, "M2", 2.5, True, 3.7, True),
    ]


async def test_a_semester_imported_again_is_replaced_for_the_students_in_the_file(
    session: AsyncSession, college: College, tmp_path: Path
) -> None:
    a, b = college.students[0].code, college.students[1].code
    await _import(session, grades_book(tmp_path / "1.xlsx", [
        grade_row(a, "M1", score=40), grade_row(a, "M2"), grade_row(b, "M1"),
        grade_row(a, "M9", semester=SPRING),
    ]))  # fmt: skip
    await _import(session, grades_book(tmp_path / "2.xlsx", [grade_row(a, "M1", score=75)]))
    await _import(session, grades_book(tmp_path / "3.xlsx", [grade_row(a, "M1", score=75)]))

    assert [
        (code, sem, course, passed) for code, sem, course, _, passed, _, _ in await _grades(session)
    ] == [
        (a, SPRING, "M9", True),
        (a, AUTUMN, "M1", True),
        (b, AUTUMN, "M1", True),
    ]


async def test_only_special_students_grades_are_kept_and_a_dry_run_writes_nothing(
    session: AsyncSession, college: College, tmp_path: Path
) -> None:
    special = college.students[0].code
    rows = [grade_row(special, "M1"), grade_row("2023999999", "M1"), grade_row("P300", "M1")]
    path = grades_book(tmp_path / "g.xlsx", rows)

    dry = await _import(session, path, dry_run=True)
    assert await _grades(session) == []
    done = await _import(session, path)

    assert (dry.rows, len(dry.grades), dry.skipped) == (3, 1, 2)  # type: ignore[attr-defined]
    assert (done.rows, len(done.grades), done.skipped) == (3, 1, 2)  # type: ignore[attr-defined]
    assert [row[0] for row in await _grades(session)] == [special]


async def test_a_file_that_is_no_workbook_is_refused(session: AsyncSession, tmp_path: Path) -> None:
    text = tmp_path / "g.csv"
    text.write_text("学号\n", "utf-8")
    broken = tmp_path / "g.xlsx"
    broken.write_bytes(b"not a zip")
    for path, what in ((text, "不支持的文件类型"), (broken, "无法读取")):
        with pytest.raises(GradeImportError) as refused:
            await _import(session, path)
        assert what in refused.value.problems[0]
