"""The case file's editable sections as forms: 问题 (the problem per category, in the ledger
column's words), 生活史 (既往生活史与当前生活情景) and 方案 (辅导方案: 学业, 心理, 经济, 就业).
Every step is skippable and keeps the stored text; `save` is the one write of all of them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.cases import lookup
from handlers.context import Context
from handlers.conversation import answers, forms
from handlers.conversation.forms import Choice, Known, Run, Step
from handlers.envelopes import Outbound, text
from messages.render import render
from storage import audit
from storage.cases import files
from storage.cases.files import (
    HISTORY_MAX,
    PHYSICAL,
    PLAN_AREAS,
    PLAN_MAX,
    PROBLEM_MAX,
    VERIFICATION,
    CaseRecord,
    field_label,
    problem_field,
)
from storage.models import Person
from storage.people.categories import load_categories

CATEGORIES = "_categories"
OLD = "_old"
STUDENT = "student"


def _keep(name: str) -> Callable[[Known], answers.Parsed | None]:
    """跳过 keeps the stored text (nothing stored: the step is left empty)."""

    def default(known: Known) -> answers.Parsed | None:
        old = known.values.get(OLD, {}).get(name)
        return answers.Parsed(old, old) if old else None

    return default


def _has(code: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda values: code in values.get(CATEGORIES, ())


def _text_step(name: str, prompt: str, label: str, *, most: int, **more: Any) -> Step:
    return Step(
        name,
        "text",
        prompt,
        label,
        optional=True,
        min_len=1,
        max_len=most,
        default=_keep(name),
        **more,
    )


PROBLEM_STEPS = (
    *(
        _text_step(
            problem_field(category.code),
            f"case_ask_problem_{category.code}",
            category.ledger_column or category.name,
            most=PROBLEM_MAX,
            applies=_has(category.code),
        )
        for category in load_categories()
    ),
    _text_step(
        VERIFICATION,
        "case_ask_verification",
        field_label(VERIFICATION),
        most=PROBLEM_MAX,
        applies=_has(PHYSICAL),
    ),
)
HISTORY_STEPS = (
    _text_step(
        "life_history", "case_ask_life_history", field_label("life_history"), most=HISTORY_MAX
    ),
)
PLAN_STEPS = tuple(
    _text_step(area, f"case_ask_{area}", field_label(area), most=PLAN_MAX) for area in PLAN_AREAS
)
ALL_STEPS = (*PROBLEM_STEPS, *HISTORY_STEPS, *PLAN_STEPS)
FIELDS = frozenset(step.name for step in ALL_STEPS)


async def no_choices(run: Run, step: Step) -> list[Choice]:
    return []


def prefill(student: Person, record: CaseRecord) -> dict[str, tuple[Any, str]]:
    """What a section form starts from: the student, their categories and the stored texts."""
    codes = [category.code for category in record.categories]
    return {
        STUDENT: (str(student.id), student.name),
        CATEGORIES: (codes, ""),
        OLD: ({k: v for k, v in record.values().items() if v}, ""),
    }


async def may_write(ctx: Context, who: Identity, student_id: int) -> lookup.Target | list[Outbound]:
    """The student, when the person may edit their file now (the teacher, the file open)."""
    target = await lookup.by_id(ctx, who, student_id)
    if isinstance(target, list):
        return target
    if not access.may_edit_case_file(target.seats):
        return await lookup.refuse(ctx, who, action="denied_case_edit", student_id=student_id)
    record = await files.record_of(ctx.session, student_id)
    if record.closed:
        return [text(render("case_closed_read_only", student=target.student))]
    return target


async def save(run: Run, *, surveyed: bool) -> lookup.Target | list[Outbound]:
    """Write the answered sections (access asked again: a draft may be confirmed a day late)."""
    ctx, values = run.ctx, run.state.values
    target = await may_write(ctx, run.who, int(values[STUDENT]))
    if isinstance(target, list):
        return target
    changes = {name: values[name] for name in FIELDS if name in values}
    await files.write_sections(
        ctx.session,
        target.student_id,
        values=changes,
        by=run.who.person_id,
        now=ctx.now,
        surveyed=surveyed,
    )
    await audit.record(
        ctx.session,
        action="case_file_surveyed" if surveyed else "case_file_edited",
        at=ctx.now,
        actor_id=run.who.person_id,
        subject_id=target.student_id,
        detail=",".join(sorted(changes)),  # which fields, never their text
    )
    return target


async def _complete(run: Run) -> list[Outbound]:
    saved = await save(run, surveyed=False)
    if isinstance(saved, list):
        return saved
    return [text(render("case_saved", student=saved.student))]


def _form(name: str, steps: tuple[Step, ...]) -> forms.Form:
    return forms.Form(
        name=name, title=f"{name}_title", steps=steps, choices=no_choices, complete=_complete
    )


SECTION_FORMS = {
    "problems": _form("case_problems", PROBLEM_STEPS),
    "history": _form("case_history", HISTORY_STEPS),
    "plan": _form("case_plan", PLAN_STEPS),
}
SECTION_WORDS = {
    "问题": "problems",
    "问题描述": "problems",
    "问题类型": "problems",
    "生活史": "history",
    "既往生活史": "history",
    "生活情景": "history",
    "方案": "plan",
    "辅导方案": "plan",
    "一生一策": "plan",
}
