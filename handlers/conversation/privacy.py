"""The privacy notice: once, after the answer to a student's first message; `隐私` repeats it
for anyone."""

from __future__ import annotations

from handlers.access.identity import Identity
from handlers.context import Context
from handlers.envelopes import Inbound, Outbound, text
from messages.render import render
from storage.models import PersonKind
from storage.people.privacy import claim_privacy_notice


def notice() -> Outbound:
    return text(render("privacy_notice"))


async def show(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """`隐私`: the notice again (a student's first message being 隐私 counts as shown)."""
    await claim_privacy_notice(ctx.session, person_id=who.person_id, now=ctx.now)
    return [notice()]


async def first_notice(who: Identity, ctx: Context) -> list[Outbound]:
    """The notice, if this is the first message of a student (peer mentors included) that
    got an answer; nothing otherwise. The caller puts it after every other reply, so that a
    crisis answer always comes first."""
    if who.person.kind != PersonKind.STUDENT or who.person.privacy_notice_at is not None:
        return []
    if not await claim_privacy_notice(ctx.session, person_id=who.person_id, now=ctx.now):
        return []
    return [notice()]
