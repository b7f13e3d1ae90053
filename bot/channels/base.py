"""What every channel shares: its self-description, the envelopes, the sender protocol, the
passive-reply window and the error tree."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from handlers.envelopes import Button, Inbound, Outbound
from storage.messaging.outbox import IN_RESPONSE  # marks a reply that rode in the response
from storage.people.identify import AccountMatch

__all__ = [
    "IN_RESPONSE",
    "AccountMatch",
    "Button",
    "ChannelError",
    "ChannelTraits",
    "ConfigurationError",
    "Delivery",
    "Inbound",
    "Outbound",
    "PassiveWindow",
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


@dataclass(frozen=True, slots=True)
class ChannelTraits:
    """What a channel is like, declared by the channel: the generic pipeline (dispatch, the
    outbox sender, the handlers through `HandlerConfig`) asks this and never names a channel."""

    name: str
    account_match: AccountMatch
    """How an account in its callbacks names a person: a messenger id or a roster code."""
    batch_size: int
    """Recipients one active-send call may carry."""
    per_member_per_minute: int | None = None
    """Active sends a member may receive a minute (more are dropped); None: no published cap."""
    passive_seconds: float | None = None
    """How long the platform waits for the HTTP response, in which one reply may ride
    (`PassiveWindow`); None: no reply travels in the response that way."""
    replies_in_response: bool = False
    """Every reply is handed over in the response itself (the simulator's page)."""
    buttons: bool = True
    """Buttons on a card can be pressed (else the card is sent as its text)."""
    files: bool = True
    """A file message arrives as a file."""


@dataclass(slots=True)
class PassiveWindow:
    """Whether one reply may ride in the HTTP response (a channel with `passive_seconds`);
    claimed by the dispatcher or closed by the route when the platform's deadline is near,
    whichever comes first, so the reply travels exactly one way."""

    fits: Callable[[Outbound], bool]
    """Whether a reply may ride in the response at all (the channel's format limits)."""
    state: str = "open"
    abandoned: bool = False
    """The response left without a claimed reply: the dispatcher queues it after all."""

    def claim(self) -> bool:
        if self.state == "open":
            self.state = "claimed"
        return self.state == "claimed"

    def close(self) -> bool:
        """The route stops waiting; False when a reply was already claimed for the response."""
        if self.state == "open":
            self.state = "closed"
        return self.state == "closed"

    def choose(self, replies: Sequence[Outbound]) -> Outbound | None:
        """The reply that may ride: only a lone one, so replies never overtake each other."""
        if len(replies) != 1 or not self.fits(replies[0]):
            return None
        return replies[0]


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


@runtime_checkable
class Recaller(Protocol):
    """A sender that can take back a message it sent (WeCom: within 24 hours)."""

    async def recall(self, msgid: str) -> None: ...


@runtime_checkable
class ReadReporter(Protocol):
    """A sender that can say who has read a message it sent (DingTalk robot readStatus)."""

    async def read_by(self, msgid: str) -> frozenset[str]: ...
