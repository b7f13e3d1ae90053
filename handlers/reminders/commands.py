"""Reminders: `待办` (my list now), `发送今日提醒` (admins: today's digests now) and the
entry points the clock's jobs call (daily digest, weekly admin summary, semester tasks).

What is due comes from handlers/reminders/items.py (the policy's rules evaluated set-wise by
storage/due/evaluate.py); the digest lives in handlers/reminders/digest.py.
"""

from __future__ import annotations

from typing import Any

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.context import Context
from handlers.envelopes import Inbound, Outbound, text
from handlers.reminders.digest import by_student, rows_of, run_digest, send_digests
from handlers.reminders.items import Board, Reminder, due_for
from messages.render import render
from storage import audit, work

__all__ = ["Board", "Reminder", "due_for", "run_digest", "send_digests", "send_now", "todo"]


async def todo(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """`待办`: everything due for me now, most urgent first (not only the digest's eight)."""
    board = await due_for(ctx, who.person_id)
    items = board.get(who.person_id, [])
    if not items:
        return [text(render("todo_none"))]
    restricted = not access.may_see_sensitive(who.roles)
    rows = rows_of(by_student(items), restricted=restricted)
    return [text(render("todo", name=who.person.name, rows=rows, total=len(items), offset=0))]


async def send_now(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """`发送今日提醒`: today's digests now, to whoever has not had one today."""
    if not access.may_trigger_reminders(who.roles):
        await audit.record(
            ctx.session, action="denied_send_reminders", at=ctx.now, actor_id=who.person_id
        )
        return [text(render("remind_not_allowed"))]
    college = access.reminder_college(who.roles, who.person.college)
    # A school's digests take seconds to work out and queue: not in the callback, but as a
    # stored request the runner does next (bot/work.py), answering when it is done.
    await work.request(
        ctx.session,
        kind=SEND_DIGESTS,
        requested_by=who.person_id,
        args={"college": college},
        now=ctx.now,
    )
    return [text(render("remind_queued"))]


SEND_DIGESTS = "send_digests"


async def send_digests_now(
    ctx: Context, args: dict[str, Any], requested_by: int | None
) -> list[Outbound]:
    """The work `发送今日提醒` asked for; what the admin hears when it is done."""
    college = args.get("college")
    sent = await send_digests(ctx, as_of=ctx.now, college=college)
    await audit.record(
        ctx.session,
        action="send_reminders",
        at=ctx.now,
        actor_id=requested_by,
        detail=f"{sent} digest(s), college={college or '*'}",
    )
    return [text(render("remind_sent", count=sent))]
