"""Top-level commands: pure matching first, then the action that answers."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from handlers import access
from handlers.context import Context
from handlers.envelopes import Inbound, Outbound, text
from handlers.identity import Identity
from messages.render import render

Action = Callable[[Inbound, Identity, Context], Awaitable[list[Outbound]]]

_SPACES = re.compile(r"\s+")


def normalise(raw: str | None) -> str:
    """Trim, fold whitespace, and map full-width ASCII (e.g. from Chinese IMEs) to half-width."""
    if not raw:
        return ""
    folded = "".join(
        chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else " " if c == "\u3000" else c
        for c in raw
    )
    return _SPACES.sub(" ", folded).strip()


async def show_help(inbound: Inbound, who: Identity, ctx: Context) -> list[Outbound]:
    sections = access.help_sections(who.roles)
    return [text(render("help", name=who.person.name, sections=sections))]


async def whoami(inbound: Inbound, who: Identity, ctx: Context) -> list[Outbound]:
    roles = [render(f"role_{role}") for role in access.help_sections(who.roles)]
    return [text(render("whoami", person=who.person, roles=roles))]


COMMANDS: dict[str, Action] = {
    "帮助": show_help,
    "help": show_help,
    "?": show_help,
    "菜单": show_help,
    "我是谁": whoami,
}


def match(inbound: Inbound) -> Action | None:
    """Which command an inbound message asks for, without touching the database."""
    word = normalise(inbound.button or inbound.text).lower()
    return COMMANDS.get(word)


async def dispatch(inbound: Inbound, who: Identity, ctx: Context) -> list[Outbound]:
    action = match(inbound)
    if action is None:
        return [text(render("not_understood", name=who.person.name))]
    return await action(inbound, who, ctx)
