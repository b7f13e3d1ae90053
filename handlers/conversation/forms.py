"""The conversation engine: declarative forms whose state lives in the database.

A form is a list of steps (choice, free text, date-time, yes/no) followed by a confirmation.
Universal words work at every step: 取消, 上一步, 跳过 (optional steps), 修改 N (at the
confirmation) and 帮助. Each call loads the state, applies one input and saves the state, so a
restart or a second replica continues where the person left off.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from handlers.access.identity import Identity
from handlers.context import Context
from handlers.conversation import answers
from handlers.envelopes import Button, Outbound
from messages.render import render
from storage.messaging import conversations
from storage.models import Conversation

StepKind = Literal["choice", "text", "when", "yesno"]
CONFIRM = "confirm"
MAX_MISSES = 3
CARD_BUTTONS = 6  # WeCom button_interaction cards hold at most six buttons


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str
    aliases: tuple[str, ...] = ()
    note: str = ""  # shown after the label in the question, never stored with the answer


@dataclass(slots=True)
class State:
    """A draft: answered values (with display labels), misses, and the path taken."""

    values: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    misses: int = 0

    @classmethod
    def load(cls, data: dict[str, Any]) -> State:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def dump(self) -> dict[str, Any]:
        return {
            "values": self.values,
            "labels": self.labels,
            "history": self.history,
            "misses": self.misses,
        }


@dataclass(frozen=True, slots=True)
class Run:
    """What a form's callbacks see: the handler context, the person and the draft."""

    ctx: Context
    who: Identity
    state: State


def _always(values: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    kind: StepKind
    prompt: str
    label: str
    optional: bool = False
    min_len: int = 2
    max_len: int = 500
    applies: Callable[[dict[str, Any]], bool] = _always
    default: Callable[[Run], answers.Parsed | None] | None = None


@dataclass(frozen=True, slots=True)
class Form:
    name: str
    title: str
    steps: tuple[Step, ...]
    choices: Callable[[Run, Step], Awaitable[list[Choice]]]
    complete: Callable[[Run], Awaitable[list[Outbound]]]

    def step(self, name: str) -> Step:
        return next(step for step in self.steps if step.name == name)

    def shown(self, values: dict[str, Any]) -> list[Step]:
        """Steps that apply to these values, in order (the numbering of 修改 N)."""
        return [step for step in self.steps if step.applies(values)]


async def start(
    ctx: Context, who: Identity, *, channel: str, form: Form, prefill: dict[str, Any] | None = None
) -> list[Outbound]:
    """Begin a form with some values already known; ask the first missing one."""
    state = State()
    for name, (value, label) in (prefill or {}).items():
        state.values[name], state.labels[name] = value, label
    return await _advance(Run(ctx, who, state), form, channel, intro=True)


async def handle(
    ctx: Context, who: Identity, *, row: Conversation, form: Form, text: str, button: str | None
) -> list[Outbound]:
    """Apply one message (or button press) to the draft in `row`."""
    run = Run(ctx, who, State.load(conversations.data_of(row)))
    word = answers.word_of(button or text)
    universal = await _universal(run, form, row, word)
    if universal is not None:
        return universal
    if row.step == CONFIRM:
        return await _at_confirm(run, form, row.channel, word, button)
    return await _answer(run, form, row, text, button)


async def ask_again(
    ctx: Context, who: Identity, *, row: Conversation, form: Form
) -> list[Outbound]:
    """Repeat the current question (after another command was answered mid-form)."""
    run = Run(ctx, who, State.load(conversations.data_of(row)))
    if row.step == CONFIRM:
        return [await _confirmation(run, form)]
    return [await _question(run, form, form.step(row.step))]


async def _universal(run: Run, form: Form, row: Conversation, word: str) -> list[Outbound] | None:
    if word in answers.CANCEL:
        await conversations.drop(run.ctx.session, person_id=run.who.person_id, channel=row.channel)
        return [_text("form_cancelled", title=render(form.title))]
    if word in answers.BACK:
        return await _back(run, form, row)
    if word in answers.HELP:
        help_text = _text("form_help", at_confirm=row.step == CONFIRM)
        return [help_text, *await ask_again(run.ctx, run.who, row=row, form=form)]
    if word in answers.SKIP and row.step != CONFIRM:
        return await _skip(run, form, row)
    return None


async def _back(run: Run, form: Form, row: Conversation) -> list[Outbound]:
    state = run.state
    if not state.history:
        return [_text("form_first_step"), await _question(run, form, form.step(row.step))]
    previous = state.history.pop()
    state.values.pop(previous, None)
    state.labels.pop(previous, None)
    state.misses = 0
    await _save(run, form, row.channel, previous)
    return [await _question(run, form, form.step(previous))]


async def _skip(run: Run, form: Form, row: Conversation) -> list[Outbound]:
    step = form.step(row.step)
    if not step.optional:
        return [_text("form_not_skippable"), await _question(run, form, step)]
    default = step.default(run) if step.default else None
    if default is None:
        _store(run.state, step, None, render("form_skipped_value"))
    else:
        _store(run.state, step, default.value, default.label)
    return await _advance(run, form, row.channel)


async def _answer(
    run: Run, form: Form, row: Conversation, text: str, button: str | None
) -> list[Outbound]:
    step = form.step(row.step)
    choices = await form.choices(run, step) if step.kind == "choice" else []
    parsed = answers.parse(step, text, button, choices=choices, ctx=run.ctx)
    if isinstance(parsed, answers.Invalid):
        return await _miss(run, form, row.channel, step, parsed.reason)
    _store(run.state, step, parsed.value, parsed.label)
    return await _advance(run, form, row.channel)


async def _miss(run: Run, form: Form, channel: str, step: Step, reason: str) -> list[Outbound]:
    run.state.misses += 1
    await _save(run, form, channel, step.name)
    hint = _text(f"hint_{reason}", step=step.label, low=step.min_len, high=step.max_len)
    if run.state.misses >= MAX_MISSES:
        return [hint, await _question(run, form, step, rescue=True)]
    return [hint, await _question(run, form, step)]


def _store(state: State, step: Step, value: Any, label: str) -> None:
    state.values[step.name], state.labels[step.name] = value, label
    if not state.history or state.history[-1] != step.name:
        state.history.append(step.name)
    state.misses = 0


async def _advance(run: Run, form: Form, channel: str, *, intro: bool = False) -> list[Outbound]:
    """Ask the next unanswered step, or show the confirmation when all are answered (after
    修改 N that is the confirmation again, unless the new answer opened a step)."""
    state = run.state
    _forget_hidden(state, form)
    for step in form.shown(state.values):
        if step.name not in state.values:
            await _save(run, form, channel, step.name)
            question = await _question(run, form, step)
            intro_line = [_text("form_intro", title=render(form.title))] if intro else []
            return [*intro_line, question]
    return await _to_confirm(run, form, channel)


def _forget_hidden(state: State, form: Form) -> None:
    """Answers to steps that no longer apply (a risk taken back) are neither shown nor stored."""
    shown = {step.name for step in form.shown(state.values)}
    for step in form.steps:
        if step.name not in shown:
            state.values.pop(step.name, None)
            state.labels.pop(step.name, None)


async def _to_confirm(run: Run, form: Form, channel: str) -> list[Outbound]:
    await _save(run, form, channel, CONFIRM)
    return [await _confirmation(run, form)]


async def _at_confirm(
    run: Run, form: Form, channel: str, word: str, button: str | None
) -> list[Outbound]:
    if word in answers.CONFIRM or button == "form:confirm":
        await conversations.drop(run.ctx.session, person_id=run.who.person_id, channel=channel)
        return await form.complete(run)
    number = answers.edit_number(word)
    shown = form.shown(run.state.values)
    if number is not None and 1 <= number <= len(shown):
        step = shown[number - 1]
        await _save(run, form, channel, step.name)
        return [await _question(run, form, step)]
    return [_text("hint_confirm", count=len(shown)), await _confirmation(run, form)]


async def _confirmation(run: Run, form: Form) -> Outbound:
    shown = form.shown(run.state.values)
    rows = [(step.label, run.state.labels.get(step.name, "")) for step in shown]
    body = render("form_confirm", title=render(form.title), rows=rows)
    buttons = (
        Button("form:confirm", render("button_confirm")),
        Button("取消", render("button_cancel")),
    )
    return Outbound(kind="card", title=render(form.title), text=body, buttons=buttons)


async def _question(run: Run, form: Form, step: Step, *, rescue: bool = False) -> Outbound:
    choices = await form.choices(run, step) if step.kind == "choice" else []
    default = step.default(run) if step.default else None
    body = render(
        step.prompt,
        choices=[c.label + c.note for c in choices],
        default=default.label if default else None,
        optional=step.optional,
        rescue=rescue,
        values=run.state.labels,
    )
    if step.kind == "yesno":
        choices = [Choice("是", render("button_yes")), Choice("否", render("button_no"))]
    if choices and (rescue or len(choices) <= CARD_BUTTONS):
        shown = choices[:CARD_BUTTONS]
        buttons = tuple(Button(f"form:choice:{i}", c.label + c.note) for i, c in enumerate(shown))
        return Outbound(kind="card", title=render(form.title), text=body, buttons=buttons)
    return Outbound(kind="text", text=body)


async def _save(run: Run, form: Form, channel: str, step: str) -> None:
    await conversations.save(
        run.ctx.session,
        person_id=run.who.person_id,
        channel=channel,
        form=form.name,
        step=step,
        data=run.state.dump(),
        now=run.ctx.now,
    )


def _text(key: str, **context: Any) -> Outbound:
    return Outbound(kind="text", text=render(key, **context))
