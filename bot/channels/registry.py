"""Every channel's description by name: the one list of the channels CareBot knows."""

from __future__ import annotations

from collections.abc import Iterable

from bot.channels.base import AccountMatch, ChannelTraits
from bot.channels.dingtalk.traits import DINGTALK
from bot.channels.simulator.traits import SIMULATOR
from bot.channels.wecom.traits import WECOM

KNOWN: dict[str, ChannelTraits] = {each.name: each for each in (WECOM, DINGTALK, SIMULATOR)}


def account_matching_of(names: Iterable[str]) -> dict[str, AccountMatch]:
    """channel name → how its accounts name people, for the named channels: what handlers
    are given (`HandlerConfig.account_match`), since they may not import a channel."""
    return {name: KNOWN[name].account_match for name in names if name in KNOWN}
