"""Scheduled jobs: each opens its own transaction, takes `now` from the runtime's clock, and
is safe to run twice (it only acts on what is due)."""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.runtime import Runtime
from handlers import alerts
from handlers.context import Context
from storage.db import session_scope

log = logging.getLogger(__name__)


def context_for(runtime: Runtime, session: AsyncSession) -> Context:
    config = runtime.settings.handler_config(tuple(runtime.senders))
    return Context(session=session, now=runtime.clock.now(), config=config)


async def escalate_alerts(runtime: Runtime) -> int:
    """Unacknowledged safety alerts past their deadline go one level up."""
    async with session_scope(runtime.sessions) as session:
        moved = await alerts.escalate_due(context_for(runtime, session))
    if moved:
        log.warning("escalated %d unacknowledged safety alert(s)", moved)
        runtime.outbox.wake()
    return moved
