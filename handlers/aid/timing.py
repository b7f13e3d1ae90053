"""When the aid and psychological notices may go out: a pure function of time, like the
digest's slot."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.policy import calendar
from handlers.policy.model import Policy


def may_notify(now: datetime, policy: Policy, *, tz: ZoneInfo) -> bool:
    """From the digest time on, outside quiet hours: students hear of events and deadlines
    in the day, never at night (a run missed while the clock was down sends at the next)."""
    local = now.astimezone(tz)
    return local.time() >= policy.schedule.digest_time and not calendar.in_quiet_hours(
        now, policy, tz=tz
    )
