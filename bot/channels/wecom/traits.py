"""What WeCom is like, for the generic pipeline (bot.channels.base.ChannelTraits)."""

from __future__ import annotations

from bot.channels.base import AccountMatch, ChannelTraits

WECOM = ChannelTraits(
    name="wecom",
    account_match=AccountMatch.MESSENGER_ACCOUNT,
    batch_size=1000,  # message/send: touser takes at most 1000 userids
    per_member_per_minute=30,  # per member per app; WeCom silently drops the excess
    passive_seconds=5.0,  # the callback is answered within 5 s or delivered again
    buttons=True,  # template cards (button_interaction)
    files=True,  # media/upload, then a file message
)
