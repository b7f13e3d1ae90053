"""Route an inbound message: identify the sender, screen for crisis words, continue an open
form or run a command, and answer with templates.

A handler failure rolls back everything it wrote; the person gets `apology()`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from handlers.academic import commands as academic
from handlers.access.identity import Identity, identify
from handlers.aid import commands as aid
from handlers.care import visit_form as visits
from handlers.care import weekly
from handlers.careers import commands as careers
from handlers.cases import commands as cases
from handlers.context import Context
from handlers.conversation import answers, commands, forms, privacy
from handlers.conversation.command import Matched
from handlers.envelopes import Inbound, Outbound, text
from handlers.outreach import commands as outreach
from handlers.reports import commands as reports
from handlers.safety import screening as safety
from messages.render import render
from storage import audit
from storage.messaging import conversations
from storage.messaging.conversations import Draft
from storage.models import PersonKind

log = logging.getLogger(__name__)

FORMS = {
    form.name: form
    for form in (
        visits.FORM,
        weekly.FORM,
        *outreach.FORMS,
        *careers.FORMS,
        *aid.FORMS,
        *cases.FORMS,
        *academic.FORMS,
        *reports.FORMS,
    )
}
IDLE = timedelta(minutes=30)
KEEP_DRAFT = timedelta(hours=24)


async def sender(inbound: Inbound, ctx: Context) -> Identity | None:
    match = ctx.config.match_for(inbound.channel)
    return await identify(
        ctx.session, channel=inbound.channel, account=inbound.account, match=match
    )


async def answer_stranger(inbound: Inbound, ctx: Context, *, record: bool = True) -> list[Outbound]:
    """An unknown account: a polite pointer to the office, and only an audit entry stored
    (`record=False` for a retried delivery, already on record)."""
    if record:
        await audit.record(
            ctx.session,
            action="unknown_account",
            at=ctx.now,
            channel=inbound.channel,
            account=inbound.account,
        )
        log.info("message from unknown account on %s", inbound.channel)
    return [text(render("unknown_user"))]


def apology() -> list[Outbound]:
    """What a person hears when handling their message failed (the caller rolled back)."""
    return [text(render("internal_error"))]


async def answer(inbound: Inbound, who: Identity, ctx: Context) -> list[Outbound]:
    """The replies to a known person's message, then (a student's first message only) the
    privacy notice. Errors propagate: the dispatcher rolls the whole transaction back and
    answers with `apology()` instead."""
    with audit.channel_of(inbound.channel):
        replies = await _answer(inbound, who, ctx)
        return replies + await privacy.first_notice(who, ctx)


async def _answer(inbound: Inbound, who: Identity, ctx: Context) -> list[Outbound]:
    row = who.draft
    if row is None and who.conversing:
        row = await conversations.load(
            ctx.session, person_id=who.person_id, channel=inbound.channel
        )
    form = FORMS.get(row.form) if row else None
    if row is None or form is None:
        found = commands.match(inbound, in_form=False)
        if found is not None and found.command.screens_crisis:
            return await found.run(inbound, who, ctx)
        screened = await safety.screen(inbound, who, ctx, row)
        return await _command(inbound, who, ctx, screened=screened, found=found)
    screened = await safety.screen(inbound, who, ctx, row)
    if screened and who.person.kind == PersonKind.STUDENT:
        return screened  # their own crisis is no answer to the open question, which waits
    return screened + await _in_form(inbound, who, ctx, row, form)


async def _command(
    inbound: Inbound,
    who: Identity,
    ctx: Context,
    *,
    screened: list[Outbound],
    found: Matched | None = None,
) -> list[Outbound]:
    """No form open: the command asked for (`found`, if matched already), after any crisis
    care."""
    found = found or commands.match(inbound, in_form=False)
    if screened and found is None:
        return screened  # a person in crisis hears care, not "I did not understand"
    return screened + await commands.answer(found, inbound, who, ctx)


async def _in_form(
    inbound: Inbound, who: Identity, ctx: Context, row: Draft, form: forms.Form
) -> list[Outbound]:
    idle = ctx.now - row.updated_at
    if idle > KEEP_DRAFT:
        await conversations.drop(ctx.session, person_id=who.person_id, channel=row.channel)
        return [text(render("draft_expired")), *await _command(inbound, who, ctx, screened=[])]
    word = answers.word_of(inbound.button or inbound.text)
    found = commands.match(inbound, in_form=True)
    if idle > IDLE and word not in answers.RESUME | answers.CANCEL:
        return await _waiting(inbound, who, ctx, found, form)
    if word in answers.RESUME:
        await conversations.touch(ctx.session, row, now=ctx.now)
        return await forms.ask_again(ctx, who, row=row, form=form)
    if found is not None and found.command.interrupts_form:
        return [
            *await _interruption(inbound, who, ctx, found, form),
            *await forms.ask_again(ctx, who, row=row, form=form),
        ]
    answer = forms.Answer(inbound.text or "", inbound.button)
    return await forms.handle(ctx, who, row=row, form=form, answer=answer)


async def _waiting(
    inbound: Inbound,
    who: Identity,
    ctx: Context,
    found: Matched | None,
    form: forms.Form,
) -> list[Outbound]:
    """After a pause the draft waits for 继续 or 取消; a command is still answered, unless it
    would open a form over the waiting draft."""
    waiting = [text(render("draft_waiting", title=render(form.title)))]
    if found is None or found.command.starts_form:
        return waiting
    return [*waiting, *await found.run(inbound, who, ctx)]


async def _interruption(
    inbound: Inbound,
    who: Identity,
    ctx: Context,
    found: Matched,
    form: forms.Form,
) -> list[Outbound]:
    """The answer to a command typed mid-form; the open question is asked again after it."""
    if found.command.starts_form:
        return [text(render("form_in_progress", title=render(form.title)))]
    return await found.run(inbound, who, ctx)
