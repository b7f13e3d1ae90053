"""The alert cards: as first sent or escalated, and a follow-up marked 新消息."""

from __future__ import annotations

from datetime import datetime

from handlers.context import Context
from handlers.envelopes import Button, Outbound
from messages.render import render
from storage.models import Alert, AlertMessage, Person
from storage.safety import alerts


async def alert_card(ctx: Context, alert: Alert) -> Outbound:
    """The alert as first sent or as escalated (then with its latest follow-up)."""
    notes = await alerts.messages_of(ctx.session, alert.id or 0)
    body = render(
        "alert",
        alert=alert,
        when=_local(ctx, alert.created_at),
        latest=notes[-1].text if notes else None,
        count=len(notes),
        **await _people(ctx, alert.student_id, alert.raised_by, alert.context_id),
    )
    return _card(alert, body, new=False)


async def follow_up_card(ctx: Context, alert: Alert, note: AlertMessage) -> Outbound:
    body = render(
        "alert_follow_up",
        alert=alert,
        note=note,
        when=_local(ctx, note.created_at),
        first=_local(ctx, alert.created_at),
        **await _people(ctx, alert.student_id, note.author_id, note.context_id),
    )
    return _card(alert, body, new=True)


async def _people(
    ctx: Context, student_id: int | None, raiser_id: int | None, context_id: int | None
) -> dict[str, Person | None]:
    ids = {"student": student_id, "raiser": raiser_id, "context": context_id}
    return {
        name: await ctx.session.get(Person, pid) if pid is not None else None
        for name, pid in ids.items()
    }


def _card(alert: Alert, body: str, *, new: bool) -> Outbound:
    return Outbound(
        kind="card",
        title=render("alert_title", level=alert.level, new=new),
        text=body,
        buttons=(Button(f"alert:ack:{alert.id}", render("button_handled")),),
    )


def _local(ctx: Context, moment: datetime) -> str:
    return moment.astimezone(ctx.config.tz).strftime("%m月%d日 %H:%M")
