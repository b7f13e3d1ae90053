"""订阅 / 退订: a person turns a notice topic on or off (通知 always stays on)."""

from __future__ import annotations

from handlers.access.identity import Identity
from handlers.context import Context
from handlers.conversation.answers import normalise
from handlers.envelopes import Inbound, Outbound, text
from messages.render import render
from storage.outreach import subscriptions
from storage.outreach.subscriptions import MANDATORY, TOPICS


async def subscribe(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    return await _switch(who, ctx, normalise(args), on=True)


async def unsubscribe(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    return await _switch(who, ctx, normalise(args), on=False)


async def _switch(who: Identity, ctx: Context, topic: str, *, on: bool) -> list[Outbound]:
    if topic not in TOPICS:
        off = await subscriptions.topics_off(ctx.session, who.person_id)
        return [
            text(
                render(
                    "outreach_topics",
                    given=topic,
                    topics=TOPICS,
                    off=off,
                    mandatory=MANDATORY,
                    on=on,
                )
            )
        ]
    if not on and not subscriptions.may_unsubscribe(topic):
        return [text(render("outreach_topic_mandatory", topic=topic))]
    await subscriptions.set_subscription(ctx.session, who.person_id, topic, on, ctx.now)
    return [text(render("outreach_topic_switched", topic=topic, on=on))]
