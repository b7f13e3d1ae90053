"""What the simulator is like, for the generic pipeline (bot.channels.base.ChannelTraits)."""

from __future__ import annotations

from bot.channels.base import AccountMatch, ChannelTraits

SIMULATOR = ChannelTraits(
    name="simulator",
    account_match=AccountMatch.ROSTER_CODE,  # the page chats as anyone on the roster, by code
    batch_size=1000,
    replies_in_response=True,  # the page shows the replies of its request; the rest via inbox
    buttons=True,
    files=True,  # shown as a file chip
)
