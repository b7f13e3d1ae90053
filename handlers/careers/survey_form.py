"""One form per survey definition: its questions as steps. A survey stays data: the question
texts ride in the draft (hidden values `_q1` … `_q8`) and the prompts careers_survey_q1 … q8
show them."""

from __future__ import annotations

from typing import Any

from handlers.access.identity import Identity
from handlers.context import Context
from handlers.conversation import forms
from handlers.conversation.forms import Choice, Run, Step
from handlers.envelopes import Outbound, text
from messages.render import render
from storage.careers import surveys
from storage.careers.surveys import Definition

SURVEY = "_survey"
"""A draft value that is no step: which sent survey the answers are for."""
FORM_PREFIX = "survey:"


def _step(index: int, question: surveys.Question) -> Step:
    return Step(
        question.key,
        question.kind,
        f"careers_survey_q{index}",
        question.label,
        optional=question.optional,
        min_len=1,
        max_len=500,
    )


def _form(definition: Definition) -> forms.Form:
    questions = {question.key: question for question in definition.questions}

    async def choices(run: Run, step: Step) -> list[Choice]:
        return [Choice(choice, choice) for choice in questions[step.name].choices]

    async def complete(run: Run) -> list[Outbound]:
        return await _complete(run, definition)

    return forms.Form(
        name=f"{FORM_PREFIX}{definition.name}",
        title="careers_survey_title",
        steps=tuple(_step(i, q) for i, q in enumerate(definition.questions, start=1)),
        choices=choices,
        complete=complete,
    )


FORMS = {name: _form(definition) for name, definition in surveys.definitions().items()}


def prefill(definition: Definition, survey_id: int) -> dict[str, tuple[Any, str]]:
    """The hidden values a survey's draft starts with."""
    shown = {
        f"_q{index}": (None, question.text)
        for index, question in enumerate(definition.questions, start=1)
    }
    return {SURVEY: (survey_id, ""), **shown}


async def start(
    ctx: Context, who: Identity, *, channel: str, definition: Definition, survey_id: int
) -> list[Outbound]:
    form = FORMS[definition.name]
    return await forms.start(
        ctx, who, channel=channel, form=form, prefill=prefill(definition, survey_id)
    )


async def _complete(run: Run, definition: Definition) -> list[Outbound]:
    ctx, values = run.ctx, run.state.values
    row = await surveys.recipient(ctx.session, int(values[SURVEY]), run.who.person_id)
    if row is None:
        return [text(render("careers_survey_not_yours"))]
    answers = {
        q.key: (values.get(q.key), None) if q.kind == "choice" else (None, values.get(q.key))
        for q in definition.questions
    }
    await surveys.store_answers(ctx.session, row, answers, now=ctx.now)
    return [text(render("careers_survey_thanks", title=definition.title))]
