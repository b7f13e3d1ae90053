"""A top-level command: what asks for it and how it behaves while a form is open. Feature
packages (handlers/<feature>/commands.py) list theirs; conversation/commands.py joins them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from handlers.access.identity import Identity
from handlers.context import Context
from handlers.envelopes import Inbound, Outbound

Action = Callable[[Inbound, Identity, Context, str], Awaitable[list[Outbound]]]


@dataclass(frozen=True, slots=True)
class Command:
    """A top-level command: the words that ask for it alone, a word followed by arguments
    (「查看 李思远」) or a button key prefix, and how it behaves while a form is open."""

    action: Action
    words: frozenset[str] = frozenset()
    prefix: str | None = None
    button: str | None = None
    starts_form: bool = False
    """It opens a form: mid-form it is refused (the open draft would be overwritten)."""
    interrupts_form: bool = True
    """Mid-form it is answered and the open question asked again; False leaves the message
    to the form (帮助 there explains the form's own words)."""
    screens_crisis: bool = False
    """Outside a form it screens its own text for crisis words: it knows whom they concern
    (上报 names a classmate) and falls back to the usual screening when it cannot tell."""


@dataclass(frozen=True, slots=True)
class Matched:
    command: Command
    args: str

    async def run(self, inbound: Inbound, who: Identity, ctx: Context) -> list[Outbound]:
        return await self.command.action(inbound, who, ctx, self.args)
