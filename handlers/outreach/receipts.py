"""Receipts and follow-up: 收到 (button or text), 群发状态 N, 催办 N (once a day, only to those
who have not confirmed) and 群发记录."""

from __future__ import annotations

from datetime import timedelta

from handlers import delivery
from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.context import Context
from handlers.envelopes import Outbound, text
from handlers.outreach import notice
from messages.render import render
from storage.models import Broadcast, BroadcastStatus
from storage.outreach import broadcasts
from storage.outreach import receipts as stored

REMIND_EVERY = timedelta(days=1)


async def acknowledge(ctx: Context, who: Identity, number: int | None) -> list[Outbound]:
    """收到: the pressed notice's receipt, or (typed) the newest one still asked of them."""
    if number is None:
        number = await stored.awaiting_receipt(ctx.session, who.person_id)
    if number is None:
        return [text(render("outreach_ack_nothing"))]
    pressed = await broadcasts.get(ctx.session, number)
    if pressed is not None and pressed.status == BroadcastStatus.RECALLED:
        return [text(render("outreach_ack_recalled"))]  # taken back: nothing to confirm
    done = await stored.confirm(
        ctx.session, broadcast_id=number, person_id=who.person_id, now=ctx.now
    )
    if not done and not await stored.is_recipient(
        ctx.session, broadcast_id=number, person_id=who.person_id
    ):
        return [text(render("outreach_ack_nothing"))]  # a pressed key of someone else's notice
    return [text(render("outreach_ack_thanks", again=not done))]


async def _own(ctx: Context, who: Identity, number: int | None) -> Broadcast | None:
    """A broadcast this person may follow up: theirs, or any for a school admin."""
    broadcast = await broadcasts.get(ctx.session, number) if number else None
    if broadcast is None:
        return None
    own = broadcast.sender_id == who.person_id
    return broadcast if access.may_follow_broadcast(who.roles, own=own) else None


async def sent_by(ctx: Context, who: Identity, number: int) -> bool:
    """Whether broadcast `number` is this person's own."""
    broadcast = await broadcasts.get(ctx.session, number)
    return broadcast is not None and broadcast.sender_id == who.person_id


async def status(ctx: Context, who: Identity, number: int | None) -> list[Outbound]:
    broadcast = await _own(ctx, who, number)
    if broadcast is None or broadcast.id is None:
        return [text(render("outreach_not_found", number=number or 0))]
    found = await stored.status_of(ctx.session, broadcast.id)
    when = broadcast.send_at.astimezone(ctx.config.tz) if broadcast.send_at else None
    return [
        text(
            render(
                "outreach_status",
                broadcast=broadcast,
                status=found,
                at=when.strftime("%Y-%m-%d %H:%M") if when else None,
            )
        )
    ]


async def remind(ctx: Context, who: Identity, number: int | None) -> list[Outbound]:
    """催办 N: one short reminder to each recipient who has not confirmed, once a day."""
    broadcast = await _own(ctx, who, number)
    if broadcast is None or broadcast.id is None:
        return [text(render("outreach_not_found", number=number or 0))]
    if not broadcast.needs_receipt or broadcast.status != BroadcastStatus.QUEUED:
        return [text(render("outreach_remind_not_applicable", broadcast=broadcast))]
    if broadcast.reminded_at is not None and ctx.now - broadcast.reminded_at < REMIND_EVERY:
        next_at = (broadcast.reminded_at + REMIND_EVERY).astimezone(ctx.config.tz)
        return [text(render("outreach_remind_too_soon", at=next_at.strftime("%m-%d %H:%M")))]
    pending = await stored.unconfirmed_ids(ctx.session, broadcast.id)
    body = render("outreach_reminder_body", content=_excerpt(broadcast.content or ""))
    message = notice.message(broadcast, body, reminder=True)
    key = f"broadcast-remind:{broadcast.id}:{ctx.now.date().isoformat()}"
    sent = await delivery.send_to_people(ctx, person_ids=pending, message=message, key=key)
    await stored.mark_reminded(ctx.session, broadcast.id, pending, ctx.now)
    broadcast.reminded_at = ctx.now
    ctx.session.add(broadcast)
    return [text(render("outreach_reminded", broadcast=broadcast, count=sent))]


def _excerpt(content: str, length: int = 60) -> str:
    """The reminder repeats the notice's start, without its variables (it is shared, so
    `{{姓名}}` is dropped rather than shown as the word 姓名)."""
    plain = notice.without_variables(content)
    return plain if len(plain) <= length else plain[:length] + "…"


async def history(ctx: Context, who: Identity) -> list[Outbound]:
    """群发记录: the sender's recent broadcasts (a school admin's: everyone's)."""
    mine = not access.may_follow_broadcast(who.roles, own=False)
    rows = await broadcasts.recent(ctx.session, sender_id=who.person_id if mine else None)
    listed = []
    for row in rows:
        assert row.id is not None
        counts = await stored.status_of(ctx.session, row.id, names=0)
        local = row.created_at.astimezone(ctx.config.tz).strftime("%m-%d %H:%M")
        listed.append({"broadcast": row, "at": local, "status": counts})
    return [text(render("outreach_history", rows=listed))]
