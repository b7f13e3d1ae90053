"""`carebot broadcast --as CODE --filter … --text … [--ids FILE] [--dry-run]`: the chat's 群发
from the terminal, with the same access rules, preview and privacy guard."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from messages.render import render

if TYPE_CHECKING:  # the storage stack loads only when the command runs
    from bot.settings import Settings


def _help(topic: str) -> str:
    return render("outreach_cli_help", topic=topic)


def register(app: typer.Typer) -> None:
    app.command("broadcast", help=_help("broadcast"))(broadcast)


def broadcast(
    sender: Annotated[str, typer.Option("--as", help=_help("broadcast --as"))],
    text: Annotated[str, typer.Option("--text", help=_help("broadcast --text"))],
    filters: Annotated[str, typer.Option("--filter", help=_help("broadcast --filter"))] = "",
    ids: Annotated[Path | None, typer.Option("--ids", help=_help("broadcast --ids"))] = None,
    topic: Annotated[str, typer.Option("--topic", help=_help("broadcast --topic"))] = "通知",
    receipt: Annotated[
        bool | None, typer.Option("--receipt/--no-receipt", help=_help("broadcast --receipt"))
    ] = None,
    urgent: Annotated[bool, typer.Option("--urgent", help=_help("broadcast --urgent"))] = False,
    force: Annotated[bool, typer.Option("--force", help=_help("broadcast --force"))] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=_help("broadcast --dry-run"))] = False,
) -> None:
    """Preview a broadcast (--dry-run), or send it at once as the person named by --as."""
    from bot.cli.main import run_on_database, settings

    pasted = ids.read_text("utf-8") if ids is not None else ""
    numbers = ",".join(pasted.split())
    line = " ".join(part for part in (filters, "学号=" + numbers if numbers else "") if part)
    replies = run_on_database(
        _broadcast(
            settings(),
            sender=sender,
            line=line,
            text=text,
            topic=topic,
            receipt=receipt,
            urgent=urgent,
            force=force,
            dry_run=dry_run,
        )
    )
    if replies is None:
        typer.echo(render("outreach_cli_no_sender", code=sender), err=True)
        raise typer.Exit(2)
    for reply in replies:
        typer.echo(reply)


async def _broadcast(
    config: Settings,
    *,
    sender: str,
    line: str,
    text: str,
    topic: str,
    receipt: bool | None,
    urgent: bool,
    force: bool,
    dry_run: bool,
) -> list[str] | None:
    from bot.clock import SystemClock
    from bot.runtime import open_runtime
    from bot.schedule.jobs import context_for
    from handlers.access.identity import Identity
    from handlers.outreach import broadcast as broadcasts
    from handlers.outreach.line import RECEIPT_DEFAULT, Request
    from storage.db import session_scope
    from storage.outreach import broadcasts as drafts
    from storage.people.queries import find_by_code
    from storage.people.roles import roles_of

    async with open_runtime(config, clock=SystemClock()) as runtime:
        async with session_scope(runtime.sessions) as session:
            person = await find_by_code(session, sender)
            if person is None or person.id is None:
                return None
            roles = (await roles_of(session, [person.id]))[person.id]
            who = Identity(person=person, roles=roles, conversing=False)
            ctx = context_for(runtime, session)
            request = Request(
                filters=line,
                content=text,
                topic=topic,
                needs_receipt=receipt if receipt is not None else topic in RECEIPT_DEFAULT,
                urgent=urgent,
            )
            shown = await broadcasts.compose(ctx, who, "cli", request, store=not dry_run)
            if not dry_run and await drafts.latest_draft(session, person.id) is not None:
                shown += await broadcasts.confirm(ctx, who, override=force)
        runtime.outbox.wake()
    return [reply.text for reply in shown]
