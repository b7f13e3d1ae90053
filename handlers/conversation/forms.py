"""The conversation engine: declarative forms (steps, then a confirmation) with the universal
words 取消, 上一步, 跳过, 修改 N and 帮助. `apply` is pure and returns a `Transition`; `handle`
loads the choice lists, applies one input and writes the draft once (saved or dropped). The
list a question showed is kept in the draft while its step is open: the answer (a number, a
button's index) is read against what the person saw, and it is not loaded again for it. Who
may be chosen is asked again where it matters (the visit form's access check at 确认)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.access.identity import Identity
from handlers.context import Context
from handlers.conversation import answers
from handlers.conversation.form_model import (
    CONFIRM,
    Answer,
    Choice,
    ChoiceLists,
    Form,
    Known,
    Run,
    State,
    Step,
    Transition,
)
from handlers.conversation.form_replies import confirmation, question, reply
from handlers.envelopes import Outbound
from messages.render import render
from storage.messaging import conversations
from storage.messaging.conversations import Draft

__all__ = ["CONFIRM", "Answer", "Choice", "Form", "Known", "Run", "State", "Step", "Transition"]

MAX_MISSES = 3


@dataclass(frozen=True, slots=True)
class _Turn:
    """What every rule of one input may read besides the draft."""

    form: Form
    choices: ChoiceLists
    now: datetime
    tz: ZoneInfo

    def ask(self, state: State, step: Step, *, rescue: bool = False) -> Outbound:
        known = Known(state.values, self.now, self.tz)
        return question(self.form, state, step, choices=self.choices, known=known, rescue=rescue)

    def again(self, state: State, step: str) -> Outbound:
        """The open question (or the confirmation) once more."""
        if step == CONFIRM:
            return confirmation(self.form, state)
        return self.ask(state, self.form.step(step))


def apply(
    form: Form,
    state: State,
    *,
    step: str,
    answer: Answer,
    choices: ChoiceLists,
    now: datetime,
    tz: ZoneInfo,
) -> Transition:
    """What one input does to the draft open at `step`: no I/O, `state` is left as it was."""
    turn, word = _Turn(form, choices, now, tz), answer.word
    if word in answers.CANCEL:
        return Transition(
            "cancelled", None, state, (reply("form_cancelled", title=render(form.title)),)
        )
    if word in answers.BACK:
        return _back(turn, state, step)
    if word in answers.HELP:
        help_text = reply("form_help", at_confirm=step == CONFIRM)
        return Transition("kept", step, state, (help_text, turn.again(state, step)))
    if step == CONFIRM:
        return _at_confirm(turn, state, answer)
    if word in answers.SKIP:
        return _skip(turn, state, form.step(step))
    return _answer(turn, state, form.step(step), answer)


def begin(
    form: Form, state: State, *, choices: ChoiceLists, now: datetime, tz: ZoneInfo
) -> Transition:
    """Open a form on a draft whose known values are filled in: the first missing question
    (after an introduction), or the confirmation when nothing is missing."""
    return _advance(_Turn(form, choices, now, tz), state, intro=True)


def repeat(
    form: Form, state: State, *, step: str, choices: ChoiceLists, now: datetime, tz: ZoneInfo
) -> Outbound:
    """The open question again (after another command was answered mid-form)."""
    return _Turn(form, choices, now, tz).again(state, step)


def back_target(form: Form, state: State, step: str) -> tuple[str, list[str]] | None:
    """Where 上一步 goes from `step`: the latest step on the path taken that still applies and
    is not the open one (after 修改 N the path holds steps a changed answer closed), with the
    path left before it; None when there is none."""
    history = list(state.history)
    while history:
        name = history.pop()
        if name != step and form.applies(name, state.values):
            return name, history
    return None


def edit_target(form: Form, state: State, word: str) -> Step | None:
    """The step 修改 N names at the confirmation, if N is a row of it."""
    number, shown = answers.edit_number(word), form.shown(state.values)
    return shown[number - 1] if number is not None and 1 <= number <= len(shown) else None


def choices_needed(form: Form, state: State, *, step: str, answer: Answer) -> frozenset[str]:
    """The choice steps whose lists `apply` may read or show for this input; `handle` loads
    only these. Never fewer than apply uses (a test holds them to it), possibly more."""
    word = answer.word
    if word in answers.CANCEL:
        return frozenset()
    if word in answers.BACK:
        target = back_target(form, state, step)
        names = {target[0] if target else step}
    elif step == CONFIRM:
        edit = None if word in answers.HELP else edit_target(form, state, word)
        names = {edit.name} if edit else set()
    else:
        names = {step, *unanswered(form, state)}
    return _choice_steps(form, names)


def unanswered(form: Form, state: State) -> frozenset[str]:
    """The choice steps still to be asked (what `begin` and a step's answer may show next)."""
    names = {s.name for s in form.steps if s.name not in state.values}
    return _choice_steps(form, names)


def _choice_steps(form: Form, names: set[str]) -> frozenset[str]:
    return frozenset(s.name for s in form.steps if s.name in names and s.kind == "choice")


def _back(turn: _Turn, state: State, step: str) -> Transition:
    target = back_target(turn.form, state, step)
    if target is None:
        first = reply("form_first_step")
        return Transition("kept", step, state, (first, turn.again(state, step)))
    name, history = target
    values = {k: v for k, v in state.values.items() if k != name}
    labels = {k: v for k, v in state.labels.items() if k != name}
    earlier = State(values=values, labels=labels, history=history, misses=0)
    return Transition("saved", name, earlier, (turn.ask(earlier, turn.form.step(name)),))


def _skip(turn: _Turn, state: State, step: Step) -> Transition:
    if not step.optional:
        refusal = reply("form_not_skippable")
        return Transition("kept", step.name, state, (refusal, turn.ask(state, step)))
    default = step.default(Known(state.values, turn.now, turn.tz)) if step.default else None
    if default is None:
        return _advance(turn, _store(state, step, None, render("form_skipped_value")))
    return _advance(turn, _store(state, step, default.value, default.label))


def _answer(turn: _Turn, state: State, step: Step, answer: Answer) -> Transition:
    choices = turn.choices.get(step.name, ()) if step.kind == "choice" else ()
    parsed = answers.parse(
        step, answer.text, answer.button, choices=choices, now=turn.now, tz=turn.tz
    )
    if isinstance(parsed, answers.Invalid):
        return _miss(turn, state, step, parsed.reason)
    return _advance(turn, _store(state, step, parsed.value, parsed.label))


def _miss(turn: _Turn, state: State, step: Step, reason: str) -> Transition:
    missed = replace(state, misses=state.misses + 1)
    hint = reply(f"hint_{reason}", step=step.label, low=step.min_len, high=step.max_len)
    again = turn.ask(missed, step, rescue=missed.misses >= MAX_MISSES)
    return Transition("saved", step.name, missed, (hint, again))


def _store(state: State, step: Step, value: Any, label: str) -> State:
    history = state.history
    if not history or history[-1] != step.name:
        history = [*history, step.name]
    values = {**state.values, step.name: value}
    return State(values=values, labels={**state.labels, step.name: label}, history=history)


def _advance(turn: _Turn, state: State, *, intro: bool = False) -> Transition:
    """Ask the next unanswered step, or show the confirmation when all are answered (after
    修改 N that is the confirmation again, unless the new answer opened a step)."""
    state = _forget_hidden(turn.form, state)
    for step in turn.form.shown(state.values):
        if step.name not in state.values:
            intro_line = (reply("form_intro", title=render(turn.form.title)),) if intro else ()
            return Transition("saved", step.name, state, (*intro_line, turn.ask(state, step)))
    return Transition("saved", CONFIRM, state, (confirmation(turn.form, state),))


def _forget_hidden(form: Form, state: State) -> State:
    """Answers to steps that no longer apply (a risk taken back) are neither shown nor stored."""
    shown = {step.name for step in form.shown(state.values)}
    hidden = {step.name for step in form.steps} - shown
    if not hidden & state.values.keys():
        return state
    values = {k: v for k, v in state.values.items() if k not in hidden}
    labels = {k: v for k, v in state.labels.items() if k not in hidden}
    return replace(state, values=values, labels=labels)


def _at_confirm(turn: _Turn, state: State, answer: Answer) -> Transition:
    word = answer.word
    if word in answers.CONFIRM or answer.button == "form:confirm":
        return Transition("done", None, state)
    step = edit_target(turn.form, state, word)
    if step is not None:
        return Transition("saved", step.name, state, (turn.ask(state, step),))
    count = len(turn.form.shown(state.values))
    hint = reply("hint_confirm", count=count)
    return Transition("kept", CONFIRM, state, (hint, confirmation(turn.form, state)))


# The I/O around `apply`: the choice lists loaded before, one write after.


async def start(
    ctx: Context,
    who: Identity,
    *,
    channel: str,
    form: Form,
    prefill: dict[str, tuple[Any, str]] | None = None,
    loaded: ChoiceLists | None = None,
) -> list[Outbound]:
    """Begin a form with some values already known; ask the first missing one. `loaded`:
    choice lists the caller has just read (a mentor's students), not read again."""
    state = State.prefilled(prefill or {})
    needed = unanswered(form, state) - (loaded or {}).keys()
    choices = {**await _load(Run(ctx, who, state), form, needed), **(loaded or {})}
    opened = begin(form, state, choices=choices, now=ctx.now, tz=ctx.config.tz)
    await conversations.save(
        ctx.session,
        person_id=who.person_id,
        channel=channel,
        form=form.name,
        step=opened.step or CONFIRM,
        data=_offering(form, opened.state, opened.step, choices).dump(),
        now=ctx.now,
    )
    return list(opened.replies)


async def handle(
    ctx: Context, who: Identity, *, row: Draft, form: Form, answer: Answer
) -> list[Outbound]:
    """Apply one message (or button press) to the draft in `row` (loaded by the router)."""
    state = State.load(conversations.data_of(row))
    needed = choices_needed(form, state, step=row.step, answer=answer)
    choices = await _load(Run(ctx, who, state), form, needed, kept=state, open_step=row.step)
    moved = apply(
        form, state, step=row.step, answer=answer, choices=choices, now=ctx.now, tz=ctx.config.tz
    )
    moved = replace(moved, state=_offering(form, moved.state, moved.step, choices))
    return await _settle(Run(ctx, who, moved.state), form, row=row, moved=moved)


async def ask_again(ctx: Context, who: Identity, *, row: Draft, form: Form) -> list[Outbound]:
    """Repeat the current question (after another command was answered mid-form), with the
    list it showed."""
    state = State.load(conversations.data_of(row))
    needed = _choice_steps(form, {row.step})
    choices = await _load(Run(ctx, who, state), form, needed, kept=state, open_step=row.step)
    return [repeat(form, state, step=row.step, choices=choices, now=ctx.now, tz=ctx.config.tz)]


def _offering(form: Form, state: State, step: str | None, choices: ChoiceLists) -> State:
    """The state to store with `step` open: the list its question showed kept with it."""
    shown = choices.get(step) if step is not None and step in _choice_steps(form, {step}) else None
    offered = {step: [choice.dump() for choice in shown]} if step and shown is not None else {}
    return state if offered == state.offered else replace(state, offered=offered)


async def _settle(run: Run, form: Form, *, row: Draft, moved: Transition) -> list[Outbound]:
    """The one write of a step: the new draft stored, or the row deleted (the form's finish
    action runs in the same transaction)."""
    session = run.ctx.session
    if moved.outcome == "saved" and moved.step is not None:
        data = moved.state.dump()
        await conversations.store(session, row, step=moved.step, data=data, now=run.ctx.now)
    if moved.dropped:
        await conversations.drop(session, person_id=row.person_id, channel=row.channel)
    if moved.finished:
        return [*moved.replies, *await form.complete(run)]
    return list(moved.replies)


async def _load(
    run: Run,
    form: Form,
    names: frozenset[str],
    *,
    kept: State | None = None,
    open_step: str | None = None,
) -> dict[str, Sequence[Choice]]:
    """The lists of the steps `names`; the open step's is the one kept in the draft, if any."""
    loaded: dict[str, Sequence[Choice]] = {}
    if kept is not None and open_step is not None:
        shown = kept.kept_choices(open_step)
        if shown is not None:
            loaded[open_step] = shown
    for step in form.steps:
        if step.name in names and step.name not in loaded:
            loaded[step.name] = await form.choices(run, step)
    return loaded
