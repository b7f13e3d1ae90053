"""What DingTalk is like, for the generic pipeline (bot.channels.base.ChannelTraits)."""

from __future__ import annotations

from bot.channels.base import AccountMatch, ChannelTraits
from bot.channels.dingtalk.api import MAX_USERS

DINGTALK = ChannelTraits(
    name="dingtalk",
    account_match=AccountMatch.MESSENGER_ACCOUNT,
    batch_size=MAX_USERS,  # robot oToMessages/batchSend: at most 20 userIds
    per_member_per_minute=None,  # DingTalk publishes no per-user cap
    passive_seconds=None,  # replies go by sessionWebhook or the robot API, never in the response
    buttons=True,  # action cards, whose buttons open signed links
    files=False,  # text, markdown and cards only: a file or image becomes a pointer text
)
