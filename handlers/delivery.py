"""Proactive messages to people: pick each person's channel and queue one outbox row each."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

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
    found = await routes(ctx, person_ids)
    queued = 0
    for person_id, (channel, recipient) in found.items():
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


async def send_each(
    ctx: Context, messages: Mapping[int, Sequence[Outbound]], *, key: Callable[[int], str]
) -> set[int]:
    """Queue each person's own messages (digests: a few parts each), in a handful of
    statements whatever the number of people; the people for whom anything was queued.

    `key(part)` names the n-th message (from 1) of everyone's share; with the person's id it
    is the idempotency key, as in `send_to_people`: queueing it twice adds nothing."""
    reachable = await routes(ctx, list(messages))
    keys = {
        (person_id, part): f"{key(part)}:{person_id}"
        for person_id in reachable
        for part in range(1, len(messages[person_id]) + 1)
    }
    queued_before = await outbox.existing_keys(ctx.session, list(keys.values()))
    rows = [
        outbox.row_values(
            channel=reachable[person_id][0],
            person_id=person_id,
            recipient=reachable[person_id][1],
            payload=messages[person_id][part - 1].to_payload(),
            idempotency_key=idempotency_key,
            now=ctx.now,
        )
        for (person_id, part), idempotency_key in keys.items()
        if idempotency_key not in queued_before
    ]
    await outbox.enqueue_many(ctx.session, rows)
    return {row["person_id"] for row in rows}


async def routes(ctx: Context, person_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """person id → (channel, recipient) for the reachable ones, in the configured order of
    preference; each channel addresses people the way it says (`HandlerConfig.match_for`).
    Public for senders that queue many rows at once (broadcasts) with `outbox.enqueue_many`."""
    matches = {channel: ctx.config.match_for(channel) for channel in ctx.config.channels}
    accounts = await accounts_for(ctx.session, person_ids)
    by_code = AccountMatch.ROSTER_CODE in matches.values()
    codes = await codes_for(ctx.session, person_ids) if by_code else {}
    found: dict[int, tuple[str, str]] = {}
    for person_id in person_ids:
        for channel, match in matches.items():
            recipient = (
                codes.get(person_id)
                if match is AccountMatch.ROSTER_CODE
                else accounts.get((person_id, channel))
            )
            if recipient:
                found[person_id] = (channel, recipient)
                break
    return found
