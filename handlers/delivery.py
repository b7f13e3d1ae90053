"""Proactive messages to people: pick each person's channel and queue one outbox row each."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.context import Context
from handlers.envelopes import Outbound
from storage.messaging import outbox
from storage.people.identify import AccountMatch
from storage.people.queries import accounts_for, codes_for


async def send_to_people(
    ctx: Context, *, person_ids: Sequence[int], message: Outbound, key: str
) -> int:
    """Queue `message` for every person reachable on an enabled channel; how many were queued.

    `key` makes the send idempotent: queueing the same key twice adds nothing the second time.
    """
    routes = await _routes(ctx, person_ids)
    queued = 0
    for person_id, (channel, recipient) in routes.items():
        idempotency_key = f"{key}:{person_id}"
        if await outbox.by_key(ctx.session, idempotency_key) is not None:
            continue
        await outbox.enqueue(
            ctx.session,
            channel=channel,
            person_id=person_id,
            recipient=recipient,
            payload=message.to_payload(),
            idempotency_key=idempotency_key,
            now=ctx.now,
        )
        queued += 1
    return queued


async def _routes(ctx: Context, person_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """person id → (channel, recipient), in the configured order of preference; each channel
    addresses people the way it says (`HandlerConfig.match_for`)."""
    matches = {channel: ctx.config.match_for(channel) for channel in ctx.config.channels}
    accounts = await accounts_for(ctx.session, person_ids)
    by_code = AccountMatch.ROSTER_CODE in matches.values()
    codes = await codes_for(ctx.session, person_ids) if by_code else {}
    routes: dict[int, tuple[str, str]] = {}
    for person_id in person_ids:
        for channel, match in matches.items():
            recipient = (
                codes.get(person_id)
                if match is AccountMatch.ROSTER_CODE
                else accounts.get((person_id, channel))
            )
            if recipient:
                routes[person_id] = (channel, recipient)
                break
    return routes
