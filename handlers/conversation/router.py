"""Route an inbound message: identify the sender, screen for crisis words, continue an open
form or run a command, and answer with templates.

A handler failure rolls back everything it wrote; the person gets `apology()`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from handlers.access.identity import Identity, identify
from handlers.care import visit_form as visits
from handlers.care import weekly
from handlers.context import Context
from handlers.conversation import answers, commands, forms
from handlers.envelopes import Inbound, Outbound, text
from handlers.safety import screening as safety
from messages.render import render
from storage import audit
from storage.messaging import conversations
from storage.models import Conversation, PersonKind

log = logging.getLogger(__name__)

FORMS = {form.name: form for form in (visits.FORM, weekly.FORM)}
IDLE = timedelta(minutes=30)
KEEP_DRAFT = timedelta(hours=24)


async def sender(inbound: Inbound, ctx: Context) -> Identity | None:
    return await identify(ctx.session, channel=inbound.channel, account=inbound.account)


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
    """The replies to a known person's message. Errors propagate: the dispatcher rolls the
    whole transaction back and answers with `apology()` instead."""
    row = (
        await conversations.load(ctx.session, person_id=who.person_id, channel=inbound.channel)
        if who.conversing
        else None
    )
    form = FORMS.get(row.form) if row else None
    screened = await safety.screen(inbound, who, ctx, row)
    if row is None or form is None:
        if screened and commands.match(inbound) is None:
            return screened  # a person in crisis hears care, not "I did not understand"
        return screened + await commands.dispatch(inbound, who, ctx)
    if screened and who.person.kind == PersonKind.STUDENT:
        return screened  # their own crisis is no answer to the open question, which waits
    return screened + await _in_form(inbound, who, ctx, row, form)


async def _in_form(
    inbound: Inbound, who: Identity, ctx: Context, row: Conversation, form: forms.Form
) -> list[Outbound]:
    idle = ctx.now - row.updated_at
    word = answers.word_of(inbound.button or inbound.text)
    if idle > KEEP_DRAFT:
        await conversations.drop(ctx.session, person_id=who.person_id, channel=row.channel)
        return [text(render("draft_expired")), *await commands.dispatch(inbound, who, ctx)]
    found = commands.match(inbound, in_form=True)
    if idle > IDLE and word not in answers.RESUME | answers.CANCEL:
        waiting = [text(render("draft_waiting", title=render(form.title)))]
        starts_form = found is not None and found[0] in commands.FORM_STARTERS
        if found is None or starts_form:  # a new form would overwrite the waiting draft
            return waiting
        return [*waiting, *await found[0](inbound, who, ctx, found[1])]
    if word in answers.RESUME:
        await conversations.touch(ctx.session, row, now=ctx.now)
        return await forms.ask_again(ctx, who, row=row, form=form)
    if found is not None and word not in answers.HELP:
        return [
            *await _interruption(inbound, who, ctx, found, form),
            *await forms.ask_again(ctx, who, row=row, form=form),
        ]
    return await forms.handle(
        ctx, who, row=row, form=form, text=inbound.text or "", button=inbound.button
    )


async def _interruption(
    inbound: Inbound,
    who: Identity,
    ctx: Context,
    found: tuple[commands.Action, str],
    form: forms.Form,
) -> list[Outbound]:
    """The answer to a command typed mid-form; the open question is asked again after it."""
    action, args = found
    if action in commands.FORM_STARTERS:
        return [text(render("form_in_progress", title=render(form.title)))]
    return await action(inbound, who, ctx, args)
