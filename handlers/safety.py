"""Screen every message for crisis words: a student gets the hotline at once, and the
responsible people are alerted whoever wrote it."""

from __future__ import annotations

from handlers import access, alerts
from handlers.context import Context
from handlers.envelopes import Inbound, Outbound, text
from handlers.identity import Identity
from messages.render import render
from storage import visits
from storage.conversations import data_of
from storage.models import Conversation, PersonKind


async def screen(
    inbound: Inbound, who: Identity, ctx: Context, row: Conversation | None
) -> list[Outbound]:
    words = alerts.crisis_words_in(inbound.text or "", ctx.config.crisis_words)
    if not words:
        return []
    about = await _student_meant(inbound.text or "", who, ctx, row)
    is_self = about is None and who.person.kind == PersonKind.STUDENT
    student_id = who.person_id if is_self else about
    await alerts.raise_alert(
        ctx, student_id=student_id, raised_by=who, source="message", detail=inbound.text or ""
    )
    if is_self:
        return [text(render("crisis_student", hotline=ctx.config.hotline))]
    return [text(render("crisis_mentor"))]


async def _student_meant(
    message: str, who: Identity, ctx: Context, row: Conversation | None
) -> int | None:
    """Which of the writer's students the message is about: the one in their open visit log,
    or one named in the message. None when the writer is not on anyone's team."""
    if row is not None and row.form == "visit":
        student = data_of(row).get("values", {}).get("student")
        if student is not None:
            return int(student)
    if not (access.is_staff(who.roles) or access.is_peer_only(who.roles)):
        return None
    mine = await visits.assigned_students(ctx.session, who.person_id)
    named = [person.id for person, _ in mine if person.name in message]
    return named[0] if len(named) == 1 else None
