"""The stats commands and the long work they ask for (joined by handlers/reports/commands.py).

The actions are imported when first used: the charts (matplotlib) cost about a second of
start-up, which every web process and CLI command would pay for the registry."""

from __future__ import annotations

from typing import Any

from handlers.access.identity import Identity
from handlers.context import Context, Errand
from handlers.conversation.command import Command
from handlers.envelopes import Inbound, Outbound

STATS = "stats"


async def ask_stats(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    from handlers.reports import stats_chat

    return await stats_chat.ask_stats(inbound, who, ctx, args)


async def stats_now(ctx: Context, args: dict[str, Any], requester: int | None) -> list[Outbound]:
    from handlers.reports import stats_chat

    return await stats_chat.stats_now(ctx, args, requester)


COMMANDS: tuple[Command, ...] = (Command(ask_stats, words=frozenset({"统计"}), prefix="统计"),)
ERRANDS: dict[str, Errand] = {STATS: stats_now}
NAMES: dict[str, str] = {STATS: "stats_work_name"}
"""Template key naming each errand for its failure message (handlers/errands.failed)."""
