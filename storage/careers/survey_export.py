"""A survey's answers as an Excel workbook: 答卷 (one row per recipient) and 统计 (counts)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from sqlmodel.ext.asyncio.session import AsyncSession

from messages.render import render
from storage.careers import surveys
from storage.careers.surveys import Definition
from storage.models import Survey, SurveyAnswer

ANSWERS_SHEET = "答卷"
COUNTS_SHEET = "统计"
PERSON_COLUMNS = ("学号", "姓名", "学院", "专业", "班级")


async def export_survey(
    session: AsyncSession, survey: Survey, definition: Definition, path: Path
) -> int:
    """Write the workbook (an existing file is replaced); how many answered."""
    assert survey.id is not None
    sheet = await surveys.answer_sheet(session, survey.id)
    found = await surveys.results(session, survey.id)
    book = Workbook()
    answers = book.active
    assert answers is not None
    answers.title = ANSWERS_SHEET
    status = render("careers_survey_export_word", what="status")
    answers.append([*PERSON_COLUMNS, status, *(q.label for q in definition.questions)])
    for person in sheet.people:
        assert person.id is not None
        given = sheet.answers.get(person.id, {})
        done = sheet.answered.get(person.id) is not None
        word = render("careers_survey_export_word", what="answered" if done else "waiting")
        cells = [_value(given.get(q.key)) for q in definition.questions]
        answers.append(
            [
                person.code,
                person.name,
                person.college,
                person.major,
                person.class_name,
                word,
                *cells,
            ]
        )
    counts = book.create_sheet(COUNTS_SHEET)
    for question in definition.questions:
        if question.kind != "choice":
            continue
        for choice in question.choices:
            counts.append([question.label, choice, found.count(question.key, choice)])
    counts.append([render("careers_survey_export_word", what="answered"), None, found.answered])
    counts.append([render("careers_survey_export_word", what="sent"), None, found.total])
    book.save(path)
    return found.answered


def _value(answer: SurveyAnswer | None) -> str | None:
    return None if answer is None else answer.choice or answer.text
