"""What every channel shares: the envelopes, the sender protocol and the error tree."""

from __future__ import annotations

import re
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
    "clean_text",
]

_SURROGATE = re.compile("[\ud800-\udfff]")
_HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # control characters, except \t and \n
    "\u00ad\u061c\u180e\u200b-\u200f\u2060-\u2064\ufeff"  # soft hyphen, zero-width, marks
    "\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides and isolates
    "\u206a-\u206f\ufff9-\ufffb"  # deprecated format controls, interlinear annotation
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"  # invisible format
    "\U000e0001\U000e0020-\U000e007f]"  # tag characters: invisible ASCII
)


def clean_text(text: str) -> str:
    """What a person typed, without what cannot be stored or shown faithfully.

    Lone surrogates (a JSON `"\\ud800"` decodes to one) become U+FFFD, a surrogate pair that
    arrived as two code points becomes its character; control characters other than tab and
    newline (a carriage return is a line break), bidi overrides and isolates, and invisible
    format characters (zero-width space and joiners, soft hyphen, tags) are removed: they can
    reorder or hide words, from readers and from the crisis-word check alike. Nothing else is
    normalised. A zero-width joiner inside an emoji sequence goes too: the emoji stay."""
    if _SURROGATE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _HIDDEN.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


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
