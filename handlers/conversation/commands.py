"""Top-level commands: a registry matched once per message (no I/O), then the action."""

from __future__ import annotations

from functools import cache

from handlers.academic import commands as academic
from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.aid import commands as aid
from handlers.care import students, visit_start, weekly
from handlers.careers import commands as careers
from handlers.cases import commands as cases
from handlers.context import Context
from handlers.conversation import privacy
from handlers.conversation.answers import normalise, number_of, word_of
from handlers.conversation.command import Command, Matched
from handlers.envelopes import Inbound, Outbound, text
from handlers.outreach import commands as outreach
from handlers.reminders import commands as reminders
from handlers.reports import commands as reports
from handlers.safety import alerts
from messages.render import render


async def show_help(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    body = _help_sections(tuple(access.help_sections(who.roles)))
    return [text(render("help", name=who.person.name, sections=body))]


@cache
def _help_sections(sections: tuple[str, ...]) -> str:
    """The help's body, the same for everyone with these sections (a long template, rendered
    once per combination of roles rather than for every 帮助)."""
    return render("help_sections", sections=sections)


async def whoami(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    roles = [render(f"role_{role}") for role in access.help_sections(who.roles)]
    return [text(render("whoami", person=who.person, roles=roles))]


async def acknowledge_alert(
    inbound: Inbound, who: Identity, ctx: Context, args: str
) -> list[Outbound]:
    # No alert has id 0: a malformed key gets the refusal alerts gives for an unknown alert,
    # not a reason of its own.
    return await alerts.acknowledge(ctx, who, number_of(args) or 0)


CORE = (
    Command(show_help, words=frozenset({"帮助", "help", "?"}), interrupts_form=False),
    Command(show_help, words=frozenset({"菜单"})),
    Command(whoami, words=frozenset({"我是谁"})),
    Command(privacy.show, words=frozenset({"隐私"})),
    Command(students.my_students, words=frozenset({"我的学生"})),
    Command(students.undo, words=frozenset({"撤销"})),
    Command(weekly.start, words=frozenset({"周报"}), starts_form=True),
    Command(visit_start.start_log, words=frozenset({"记录"}), prefix="记录", starts_form=True),
    Command(reminders.todo, words=frozenset({"待办"})),
    Command(reminders.send_now, words=frozenset({"发送今日提醒"})),
    Command(students.view_student, prefix="查看"),
    Command(visit_start.start_from_button, button="visit:start:", starts_form=True),
    Command(acknowledge_alert, button="alert:ack:"),
)

# Each feature package lists its own commands (handlers/<feature>/commands.py).
COMMANDS: tuple[Command, ...] = (
    *CORE,
    *outreach.COMMANDS,
    *careers.COMMANDS,
    *aid.COMMANDS,
    # reports before cases: 「档案表 张三」 (the file) must not be read as 「档案」 with arguments
    *reports.COMMANDS,
    *cases.COMMANDS,
    *academic.COMMANDS,
)


def match(inbound: Inbound, *, in_form: bool) -> Matched | None:
    """Which command a message asks for, and its arguments: a button key first, then a whole
    word, then a word with arguments. Inside a form, a prefixed command counts only when a
    space follows its word (「查看 李思远」): free text that merely starts with the word
    (「查看了寝室」, 「记录一下」) is the answer to the open question."""
    if inbound.button:
        for command in COMMANDS:
            if command.button and inbound.button.startswith(command.button):
                return Matched(command, inbound.button.removeprefix(command.button))
    original = inbound.button or inbound.text or ""
    word = word_of(original)
    for command in COMMANDS:
        if word in command.words:
            return Matched(command, "")
    raw = normalise(original)
    for command in COMMANDS:
        head = command.prefix
        if head and raw.startswith(f"{head} " if in_form else head):
            return Matched(command, _args_after(head, original))
    return None


def _args_after(head: str, original: str) -> str:
    """What follows the command word, as typed: a summary keeps its own punctuation.
    `normalise` maps character for character after the leading whitespace it trims, so the
    word is the first len(head) characters of the trimmed original."""
    return original.strip()[len(head) :].strip()


async def answer(
    found: Matched | None, inbound: Inbound, who: Identity, ctx: Context
) -> list[Outbound]:
    """The matched command's reply, or "not understood" when the message matched none."""
    if found is None:
        return [text(render("not_understood", name=who.person.name))]
    return await found.run(inbound, who, ctx)
