"""The outreach commands and forms, joined into the registry by handlers/conversation/commands.py
and into the router's forms by handlers/conversation/router.py."""

from __future__ import annotations

from handlers.access.identity import Identity
from handlers.careers import survey
from handlers.context import Context
from handlers.conversation.answers import number_of
from handlers.conversation.command import Command
from handlers.conversation.form_model import Form
from handlers.envelopes import Inbound, Outbound, text
from handlers.outreach import broadcast, form, recall, receipts, subscribe
from handlers.outreach.line import LineError, parse_line
from handlers.outreach.notice import ACK_BUTTON
from messages.render import render


async def send_line(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """群发 with arguments: the one-line form; 群发 alone opens the form."""
    if not args:
        return await form.start(inbound, who, ctx, args)
    if broadcast.scope_of(who).nobody:
        return await broadcast.refuse(ctx, who, inbound.channel, "broadcast_refused")
    request = parse_line(args, tz=ctx.config.tz)
    if isinstance(request, LineError):
        example = broadcast.time_example(ctx)
        return [text(render("outreach_line_error", error=request, example=example))]
    return await broadcast.compose(ctx, who, inbound.channel, request)


async def confirm(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    return await broadcast.confirm(ctx, who, override=False)


async def override(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    return await broadcast.confirm(ctx, who, override=True)


async def cancel(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    return await broadcast.cancel(ctx, who)


async def ack(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    return await receipts.acknowledge(ctx, who, number_of(args) if inbound.button else None)


async def status(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    return await receipts.status(ctx, who, number_of(args.strip()))


async def remind(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """催办 N, for a broadcast or a survey (their numbers are two sequences): the sender's own
    broadcast N first, then their own survey N, then a broadcast they may follow up (a school
    admin's: anyone's). Each reply names which it reminded; 调查催办 N asks for the survey."""
    number = number_of(args.strip())
    theirs = number is not None and await receipts.sent_by(ctx, who, number)
    if number is not None and not theirs and await survey.sent_by(ctx, who, number):
        return await survey.remind(inbound, who, ctx, args)
    return await receipts.remind(ctx, who, number)


async def take_back(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    return await recall.recall(ctx, who, number_of(args.strip()))


async def history(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    return await receipts.history(ctx, who)


COMMANDS: tuple[Command, ...] = (
    Command(subscribe.subscribe, words=frozenset({"订阅"}), prefix="订阅"),
    Command(subscribe.unsubscribe, words=frozenset({"退订"}), prefix="退订"),
    # 群发状态 and 群发记录 before 群发: prefixes are tried in order.
    Command(status, prefix="群发状态"),
    Command(history, words=frozenset({"群发记录"})),
    Command(send_line, words=frozenset({"群发"}), prefix="群发", starts_form=True),
    Command(confirm, words=frozenset({"确认发送"})),
    Command(override, words=frozenset({"仍然发送"})),
    Command(cancel, words=frozenset({"取消"}), interrupts_form=False),
    # 批准 N is handlers/cases/closing.approve: a case-file closing proposal N the person may
    # decide first, else broadcast.approve unchanged (one command word, one dispatcher).
    Command(ack, words=frozenset({"收到"}), button=ACK_BUTTON),
    Command(remind, prefix="催办"),
    Command(take_back, prefix="撤回"),
)
FORMS: tuple[Form, ...] = (form.FORM,)
