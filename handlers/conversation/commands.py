"""Top-level commands: pure matching first (no I/O), then the action that answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.care import students, visit_start, weekly
from handlers.context import Context
from handlers.conversation.answers import normalise, number_of, word_of
from handlers.envelopes import Inbound, Outbound, text
from handlers.reminders import commands as reminders
from handlers.safety import alerts
from messages.render import render

Action = Callable[[Inbound, Identity, Context, str], Awaitable[list[Outbound]]]


async def show_help(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    sections = access.help_sections(who.roles)
    return [text(render("help", name=who.person.name, sections=sections))]


async def whoami(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    roles = [render(f"role_{role}") for role in access.help_sections(who.roles)]
    return [text(render("whoami", person=who.person, roles=roles))]


async def acknowledge_alert(
    inbound: Inbound, who: Identity, ctx: Context, args: str
) -> list[Outbound]:
    # No alert has id 0: a malformed key gets the refusal alerts gives for an unknown alert,
    # not a reason of its own.
    return await alerts.acknowledge(ctx, who, number_of(args) or 0)


WORDS: dict[str, Action] = {
    "帮助": show_help,
    "help": show_help,
    "?": show_help,
    "菜单": show_help,
    "我是谁": whoami,
    "我的学生": students.my_students,
    "撤销": students.undo,
    "周报": weekly.start,
    "记录": visit_start.start_log,
    "待办": reminders.todo,
    "发送今日提醒": reminders.send_now,
}
PREFIXED: dict[str, Action] = {
    "记录": visit_start.start_log,
    "查看": students.view_student,
}
BUTTONS: dict[str, Action] = {
    "visit:start:": visit_start.start_from_button,
    "alert:ack:": acknowledge_alert,
}


FORM_STARTERS = frozenset({visit_start.start_log, visit_start.start_from_button, weekly.start})


def match(inbound: Inbound, *, in_form: bool = False) -> tuple[Action, str] | None:
    """Which command a message asks for, and its arguments. Inside a form, a prefixed command
    interrupts only when a space follows its word (「查看 李思远」): free text that merely
    starts with the word (「查看了寝室」, 「记录一下」) is the answer to the open question."""
    if inbound.button:
        for prefix, action in BUTTONS.items():
            if inbound.button.startswith(prefix):
                return action, inbound.button.removeprefix(prefix)
    word = word_of(inbound.button or inbound.text)
    if word in WORDS:
        return WORDS[word], ""
    raw = normalise(inbound.button or inbound.text)
    for head, action in PREFIXED.items():
        if raw.startswith(f"{head} " if in_form else head):
            return action, _args_after(head, inbound.button or inbound.text or "")
    return None


def _args_after(head: str, original: str) -> str:
    """What follows the command word, as typed: a summary keeps its own punctuation.
    `normalise` maps character for character after the leading whitespace it trims, so the
    word is the first len(head) characters of the trimmed original."""
    return original.strip()[len(head) :].strip()


async def dispatch(inbound: Inbound, who: Identity, ctx: Context) -> list[Outbound]:
    found = match(inbound)
    if found is None:
        return [text(render("not_understood", name=who.person.name))]
    action, args = found
    return await action(inbound, who, ctx, args)
