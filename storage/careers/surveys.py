"""Surveys: the definitions (storage/data/surveys.toml), a sent survey's recipients, answers
and results."""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any, Literal

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Person, Survey, SurveyAnswer, SurveyRecipient

QuestionKind = Literal["choice", "text"]
DefaultAudience = Literal["graduating", "graduated", "none"]
MAX_QUESTIONS = 8


@dataclass(frozen=True)
class Question:
    key: str
    label: str
    text: str
    kind: QuestionKind
    choices: tuple[str, ...] = ()
    optional: bool = False


@dataclass(frozen=True)
class Definition:
    name: str
    title: str
    audience: DefaultAudience
    days: int
    questions: tuple[Question, ...]


@cache
def definitions() -> dict[str, Definition]:
    """The shipped surveys by name, checked once."""
    text = resources.files("storage").joinpath("data/surveys.toml").read_text("utf-8")
    found = {row["name"]: _definition(row) for row in tomllib.loads(text)["survey"]}
    for definition in found.values():
        if not 0 < len(definition.questions) <= MAX_QUESTIONS:
            raise ValueError(f"survey {definition.name!r}: 1-{MAX_QUESTIONS} questions")
    return found


def _definition(row: Mapping[str, Any]) -> Definition:
    questions = tuple(
        Question(
            key=q["key"],
            label=q["label"],
            text=q["text"],
            kind=q["kind"],
            choices=tuple(q.get("choices", ())),
            optional=bool(q.get("optional", False)),
        )
        for q in row["question"]
    )
    return Definition(
        row["name"], row["title"], row.get("audience", "none"), row["days"], questions
    )


async def add_survey(session: AsyncSession, survey: Survey, *, recipients: Sequence[int]) -> Survey:
    session.add(survey)
    await session.flush()
    assert survey.id is not None
    session.add_all(SurveyRecipient(survey_id=survey.id, person_id=pid) for pid in recipients)
    await session.flush()
    return survey


async def get_survey(session: AsyncSession, survey_id: int) -> Survey | None:
    return await session.get(Survey, survey_id)


async def recipient(
    session: AsyncSession, survey_id: int, person_id: int
) -> SurveyRecipient | None:
    return await session.get(SurveyRecipient, (survey_id, person_id))


async def store_answers(
    session: AsyncSession,
    row: SurveyRecipient,
    answers: Mapping[str, tuple[str | None, str | None]],
    *,
    now: datetime,
) -> None:
    """A recipient's answers (question → (choice, text)), replacing any earlier ones."""
    await session.exec(
        delete(SurveyAnswer).where(
            col(SurveyAnswer.survey_id) == row.survey_id,
            col(SurveyAnswer.person_id) == row.person_id,
        )
    )
    session.add_all(
        SurveyAnswer(
            survey_id=row.survey_id,
            person_id=row.person_id,
            question=question,
            choice=choice,
            text=free,
        )
        for question, (choice, free) in answers.items()
    )
    row.answered_at = now
    session.add(row)
    await session.flush()


@dataclass(frozen=True)
class Results:
    total: int
    answered: int
    counts: dict[str, Counter[str]]
    """Choice question → choice → how many chose it."""
    waiting: list[Person]
    """Recipients who have not answered, by college, class and name."""

    @property
    def waiting_ids(self) -> list[int]:
        return [person.id for person in self.waiting if person.id is not None]

    def count(self, question: str, choice: str) -> int:
        found = self.counts.get(question)
        return found[choice] if found else 0


async def results(session: AsyncSession, survey_id: int) -> Results:
    rows = (
        await session.exec(select(SurveyRecipient).where(SurveyRecipient.survey_id == survey_id))
    ).all()
    waiting_ids = [row.person_id for row in rows if row.answered_at is None]
    answers = (
        await session.exec(select(SurveyAnswer).where(SurveyAnswer.survey_id == survey_id))
    ).all()
    counts: dict[str, Counter[str]] = {}
    for answer in answers:
        if answer.choice is not None:
            counts.setdefault(answer.question, Counter())[answer.choice] += 1
    waiting = await _people(session, waiting_ids)
    return Results(len(rows), len(rows) - len(waiting_ids), counts, waiting)


async def _people(session: AsyncSession, ids: Sequence[int]) -> list[Person]:
    if not ids:
        return []
    query = (
        select(Person)
        .where(col(Person.id).in_(ids))
        .order_by(col(Person.college), col(Person.class_name), col(Person.name))
    )
    return list((await session.exec(query)).all())


@dataclass(frozen=True)
class Sheet:
    """A survey's answers, one row per recipient, for the export."""

    people: list[Person]
    answered: dict[int, datetime | None]
    answers: dict[int, dict[str, SurveyAnswer]]


async def answer_sheet(session: AsyncSession, survey_id: int) -> Sheet:
    rows = (
        await session.exec(select(SurveyRecipient).where(SurveyRecipient.survey_id == survey_id))
    ).all()
    answered = {row.person_id: row.answered_at for row in rows}
    people = await _people(session, list(answered))
    found: dict[int, dict[str, SurveyAnswer]] = {}
    query = select(SurveyAnswer).where(SurveyAnswer.survey_id == survey_id)
    for answer in (await session.exec(query)).all():
        found.setdefault(answer.person_id, {})[answer.question] = answer
    return Sheet(people, answered, found)


async def mark_reminded(session: AsyncSession, survey: Survey, *, now: datetime) -> None:
    survey.reminded_at = now
    session.add(survey)
    await session.flush()
