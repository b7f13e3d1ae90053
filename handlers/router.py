"""Route an inbound message: identify the sender, pick the command, answer with templates.

The router is the error boundary: a handler failure is logged and answered kindly.
"""

from __future__ import annotations

import logging

from handlers import commands
from handlers.context import Context
from handlers.envelopes import Inbound, Outbound, text
from handlers.identity import Identity, identify
from messages.render import render
from storage import audit

log = logging.getLogger(__name__)


async def sender(inbound: Inbound, ctx: Context) -> Identity | None:
    return await identify(ctx.session, channel=inbound.channel, account=inbound.account)


async def answer_stranger(inbound: Inbound, ctx: Context) -> list[Outbound]:
    """An unknown account: a polite pointer to the office, and only an audit entry stored."""
    await audit.record(
        ctx.session,
        action="unknown_account",
        at=ctx.now,
        channel=inbound.channel,
        account=inbound.account,
    )
    log.info("message from unknown account on %s", inbound.channel)
    return [text(render("unknown_user"))]


async def answer(inbound: Inbound, who: Identity, ctx: Context) -> list[Outbound]:
    try:
        async with ctx.session.begin_nested():
            return await commands.dispatch(inbound, who, ctx)
    except Exception:
        log.exception("handler failed")
        return [text(render("internal_error"))]
