"""Survey storage: definitions from the data file, answers replaced, results and the export."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.careers import surveys
from storage.careers.survey_export import export_survey
from storage.models import Survey
from tests.fakes.roster import make_student

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_the_shipped_surveys_are_the_seed_s_two() -> None:
    found = surveys.definitions()
    assert list(found) == ["就业意向", "满意度"]
    intention = found["就业意向"].questions[0]
    assert intention.choices == ("就业", "考研", "考公", "出国", "创业", "待定")
    assert found["就业意向"].questions[1].optional and found["满意度"].audience == "graduated"


async def _survey(session: AsyncSession) -> tuple[Survey, list[int]]:
    ids = []
    for code, name in (("S001", "张三"), ("S002", "李四")):
        person = await make_student(session, code=code, name=name)
        assert person.id is not None
        ids.append(person.id)
    survey = await surveys.add_survey(
        session,
        Survey(kind="就业意向", audience="年级=2023", deadline=date(2026, 12, 7), created_at=NOW),
        recipients=ids,
    )
    return survey, ids


async def test_answers_replace_earlier_ones_and_count(session: AsyncSession) -> None:
    survey, (first, second) = await _survey(session)
    assert survey.id is not None
    row = await surveys.recipient(session, survey.id, first)
    assert row is not None

    await surveys.store_answers(session, row, {"intention": ("就业", None)}, now=NOW)
    await surveys.store_answers(
        session, row, {"intention": ("考研", None), "help": (None, "面试辅导")}, now=NOW
    )

    found = await surveys.results(session, survey.id)
    assert (found.total, found.answered) == (2, 1)
    assert dict(found.counts["intention"]) == {"考研": 1}
    assert [person.id for person in found.waiting] == [second]


async def test_free_text_answers_are_stored_encrypted(
    session: AsyncSession, engine: AsyncEngine
) -> None:
    survey, (first, _) = await _survey(session)
    assert survey.id is not None
    row = await surveys.recipient(session, survey.id, first)
    assert row is not None
    await surveys.store_answers(session, row, {"help": (None, "家里困难需要补贴")}, now=NOW)
    await session.commit()

    async with engine.connect() as connection:
        raw = (await connection.execute(text("SELECT text FROM survey_answer"))).scalar_one()
    assert raw and "困难" not in raw


async def test_the_export_has_a_row_per_recipient_and_the_counts(
    session: AsyncSession, tmp_path: Path
) -> None:
    survey, (first, _) = await _survey(session)
    assert survey.id is not None
    row = await surveys.recipient(session, survey.id, first)
    assert row is not None
    await surveys.store_answers(
        session, row, {"intention": ("考公", None), "help": (None, "简历指导")}, now=NOW
    )
    definition = surveys.definitions()["就业意向"]

    answered = await export_survey(session, survey, definition, tmp_path / "调查.xlsx")

    book = load_workbook(tmp_path / "调查.xlsx")
    rows = [list(r) for r in book["答卷"].iter_rows(values_only=True)]
    assert rows[0] == ["学号", "姓名", "学院", "专业", "班级", "填写情况", "毕业去向", "需要的帮助"]
    assert rows[1][:2] == ["S001", "张三"] and rows[1][5:] == ["已填写", "考公", "简历指导"]
    assert rows[2][5:] == ["未填写", None, None]
    counts = [list(r) for r in book["统计"].iter_rows(values_only=True)]
    assert ["毕业去向", "考公", 1] in counts and ["已发送", None, 2] in counts
    assert answered == 1
