"""The exports commands and the long work they ask for (joined by handlers/reports/commands.py).

The actions are imported when first used: the file formats (openpyxl, python-docx) cost about
a second of start-up, which every web process and CLI command would pay for the registry."""

from __future__ import annotations

from typing import Any

from handlers.access.identity import Identity
from handlers.context import Context, Errand
from handlers.conversation.command import Command
from handlers.envelopes import Inbound, Outbound

EXPORT_LEDGER = "export_ledger"
EXPORT_CASEFILE = "export_casefile"


async def export_ledger(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    from handlers.reports import ledger

    return await ledger.export_ledger(inbound, who, ctx, args)


async def export_casefile(
    inbound: Inbound, who: Identity, ctx: Context, args: str
) -> list[Outbound]:
    from handlers.reports import casefile_export

    return await casefile_export.export_casefile(inbound, who, ctx, args)


async def ledger_now(ctx: Context, args: dict[str, Any], requester: int | None) -> list[Outbound]:
    from handlers.reports import ledger

    return await ledger.ledger_now(ctx, args, requester)


async def casefile_now(ctx: Context, args: dict[str, Any], requester: int | None) -> list[Outbound]:
    from handlers.reports import casefile_export

    return await casefile_export.casefile_now(ctx, args, requester)


COMMANDS: tuple[Command, ...] = (
    Command(export_ledger, words=frozenset({"导出台账"}), prefix="导出台账"),
    Command(export_casefile, words=frozenset({"档案表"}), prefix="档案表"),
)
ERRANDS: dict[str, Errand] = {EXPORT_LEDGER: ledger_now, EXPORT_CASEFILE: casefile_now}
NAMES: dict[str, str] = {EXPORT_LEDGER: "ledger_work_name", EXPORT_CASEFILE: "export_work_name"}
"""Template key naming each errand for its failure message (handlers/errands.failed)."""
