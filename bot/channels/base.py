"""What every channel shares: the envelopes and the error tree."""

from __future__ import annotations

from handlers.envelopes import Button, Inbound, Outbound

__all__ = ["Button", "ChannelError", "Inbound", "Outbound", "PlatformError", "SignatureError"]


class ChannelError(Exception):
    """A channel could not accept or deliver a message."""


class SignatureError(ChannelError):
    """A callback's signature, key or sender does not verify: answer 403, change nothing."""


class PlatformError(ChannelError):
    """The platform API answered with an error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
