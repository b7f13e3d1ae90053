"""Screen every message for crisis words: a student gets the hotline at once, and the
responsible people are alerted whoever wrote it.

Who is at risk: a student who writes crisis words (a peer mentor too) is, whatever form is
open; the student the form or message is about is shown as context. Staff write about their
students: the one in their open form, else each of theirs the message names (one alert each),
else nobody in particular (the alert goes to the writer's college and the centre).
"""

from __future__ import annotations

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.context import Context
from handlers.envelopes import Inbound, Outbound, text
from handlers.safety import alerts
from messages.render import render
from storage.care import visits
from storage.messaging.conversations import Draft, data_of
from storage.models import PersonKind


async def screen(
    inbound: Inbound, who: Identity, ctx: Context, row: Draft | None
) -> list[Outbound]:
    message = inbound.text or ""
    if not alerts.crisis_words_in(message, ctx.config.crisis_words):
        return []
    meant = await _students_meant(message, who, ctx, row)
    if who.person.kind == PersonKind.STUDENT:
        context = meant[0] if len(meant) == 1 else None
        await alerts.raise_alert(
            ctx,
            student_id=who.person_id,
            raised_by=who,
            source="message",
            detail=message,
            context_id=context,
        )
        return [text(render("crisis_student", hotline=ctx.config.hotline))]
    subjects: list[int | None] = [*meant] or [None]
    for student_id in subjects:
        await alerts.raise_alert(
            ctx, student_id=student_id, raised_by=who, source="message", detail=message
        )
    return [text(render("crisis_mentor"))]


async def _students_meant(
    message: str, who: Identity, ctx: Context, row: Draft | None
) -> list[int]:
    """Which of the writer's students the message is about: the one in their open form, or
    those it names; none when the writer is not on anyone's team."""
    if row is not None:
        student = data_of(row).get("values", {}).get("student")
        if student is not None:
            return [int(student)]
    if not (access.is_staff(who.roles) or access.is_peer_only(who.roles)):
        return []
    mine = await visits.assigned_students(ctx.session, who.person_id)
    return [person.id for person, _ in mine if person.id is not None and person.name in message]
