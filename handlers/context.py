"""What every handler is given: the session, the time and the few settings handlers need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.policy.model import Policy


@dataclass(frozen=True, slots=True)
class HandlerConfig:
    """Settings that shape handler behaviour, passed in by the web process."""

    tz: ZoneInfo
    hotline: str
    channels: tuple[str, ...] = ()
    """Enabled channels for proactive messages, in order of preference."""
    crisis_words: tuple[str, ...] = ()
    alert_escalation: timedelta = timedelta(hours=2)
    policy: Policy | None = None
    """The validated policy file; None means the shipped defaults."""


@dataclass(frozen=True, slots=True)
class Context:
    session: AsyncSession
    now: datetime
    config: HandlerConfig
