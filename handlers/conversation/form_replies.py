"""What a form says: a step's question (text, or a card with buttons) and the confirmation."""

from __future__ import annotations

from typing import Any

from handlers.conversation.form_model import Choice, ChoiceLists, Form, Known, State, Step
from handlers.envelopes import CARD_BUTTONS, Button, Outbound
from messages.render import render


def reply(key: str, **context: Any) -> Outbound:
    return Outbound(kind="text", text=render(key, **context))


def question(
    form: Form,
    state: State,
    step: Step,
    *,
    choices: ChoiceLists,
    known: Known,
    rescue: bool = False,
) -> Outbound:
    """A step's question: a card when its few choices fit on buttons (or the person needs
    rescuing after misses), otherwise text listing them."""
    listed = list(choices.get(step.name, ())) if step.kind == "choice" else []
    default = step.default(known) if step.default else None
    body = render(
        step.prompt,
        choices=[c.label + c.note for c in listed],
        default=default.label if default else None,
        optional=step.optional,
        rescue=rescue,
        values=state.labels,
    )
    if step.kind == "yesno":
        listed = [Choice("是", render("button_yes")), Choice("否", render("button_no"))]
    if listed and (rescue or len(listed) <= CARD_BUTTONS):
        shown = listed[:CARD_BUTTONS]
        buttons = tuple(Button(f"form:choice:{i}", c.label + c.note) for i, c in enumerate(shown))
        return Outbound(kind="card", title=render(form.title), text=body, buttons=buttons)
    return Outbound(kind="text", text=body)


def confirmation(form: Form, state: State) -> Outbound:
    shown = form.shown(state.values)
    rows = [(step.label, state.labels.get(step.name, "")) for step in shown]
    body = render("form_confirm", title=render(form.title), rows=rows)
    buttons = (
        Button("form:confirm", render("button_confirm")),
        Button("取消", render("button_cancel")),
    )
    return Outbound(kind="card", title=render(form.title), text=body, buttons=buttons)
