"""The 群发 form: audience, content, topic and receipt asked one by one, then the same
preview as the one-line 群发."""

from __future__ import annotations

from handlers.access.identity import Identity
from handlers.context import Context
from handlers.conversation import forms
from handlers.conversation.forms import Choice, Run, Step
from handlers.envelopes import Inbound, Outbound
from handlers.outreach import broadcast
from handlers.outreach.line import RECEIPT_DEFAULT, Request
from storage.outreach.subscriptions import TOPICS


async def _choices(run: Run, step: Step) -> list[Choice]:
    if step.name == "topic":
        return [Choice(topic, topic) for topic in TOPICS]
    return []


async def _complete(run: Run) -> list[Outbound]:
    values = run.state.values
    receipt = values.get("receipt")
    request = Request(
        filters=values.get("audience") or "",
        content=values["content"],
        topic=values["topic"],
        needs_receipt=bool(receipt) if receipt is not None else values["topic"] in RECEIPT_DEFAULT,
    )
    return await broadcast.compose(run.ctx, run.who, "", request)  # a form's run knows no channel


FORM = forms.Form(
    name="broadcast",
    title="outreach_form_title",
    steps=(
        Step("audience", "text", "ask_outreach_audience", "对象", optional=True, max_len=2000),
        Step("content", "text", "ask_outreach_content", "内容", max_len=600),
        Step("topic", "choice", "ask_outreach_topic", "类别"),
        Step("receipt", "yesno", "ask_outreach_receipt", "需回执"),
    ),
    choices=_choices,
    complete=_complete,
)


async def start(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    if broadcast.scope_of(who).nobody:
        return await broadcast.refuse(ctx, who, inbound.channel, "broadcast_refused")
    return await forms.start(ctx, who, channel=inbound.channel, form=FORM)
