"""What every channel shares: the envelopes, the sender protocol and the error tree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from handlers.envelopes import Button, Inbound, Outbound

__all__ = [
    "Button",
    "ChannelError",
    "ConfigurationError",
    "Delivery",
    "Inbound",
    "Outbound",
    "PlatformError",
    "Sender",
    "SignatureError",
    "TransientError",
]


class ChannelError(Exception):
    """A channel could not accept or deliver a message."""


class SignatureError(ChannelError):
    """A callback's signature, key or sender does not verify: answer 403, change nothing."""


class MalformedError(ChannelError):
    """A callback body is not well-formed XML/JSON or carries a DOCTYPE: answer 400."""


class PlatformError(ChannelError):
    """The platform API answered with an error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class TransientError(PlatformError):
    """The whole call failed for a reason that passes (busy, rate limit, 5xx, timeout)."""


class ConfigurationError(PlatformError):
    """The platform refuses us until an operator fixes something (e.g. WeCom 60020)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one recipient of one send call."""

    recipient: str
    status: Literal["sent", "retry", "failed"]
    msgid: str | None = None
    error: str | None = None
    retry_after: float | None = None
    response_code: str | None = None


class Sender(Protocol):
    """A channel's active-send side, as the outbox sender sees it."""

    channel: str
    batch_size: int
    per_member_per_minute: int | None

    async def send(
        self, message: Outbound, recipients: Sequence[str], *, batch_key: str
    ) -> list[Delivery]:
        """Send one message to recipients (≤ batch_size); one Delivery per recipient.

        Raises TransientError when the whole call should be retried, ConfigurationError when
        it cannot succeed until an operator acts. `batch_key` is stable across retries of the
        same batch so platforms with duplicate checks see an identical request.
        """
        ...
