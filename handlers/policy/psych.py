"""Reading the policy file's [psych] section: the yearly psychological-health events, how far
ahead students hear of them, and how to book counselling."""

from __future__ import annotations

import re
from datetime import date

from handlers.policy.model import Psych, PsychEvent
from handlers.policy.read import Table

PSYCH_KEYS = ("events", "announce_days_before", "booking")
EVENT_KEYS = ("date", "name")
LONGEST_NOTICE = 60
"""Days ahead an announcement may go out: more would reach students of another semester."""
_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")
_LEAP_YEAR = 2000  # checks that a month-day exists in some year; 02-29 is refused below


def read_psych(table: Table) -> Psych:
    table.allow(PSYCH_KEYS)
    base = Psych()
    days = table.positive_int("announce_days_before", base.announce_days_before)
    if days > LONGEST_NOTICE:
        table.problem("psych_announce", name="announce_days_before", most=LONGEST_NOTICE)
        days = base.announce_days_before
    events = base.events if "events" not in table.data else _events(table)
    return Psych(events=events, announce_days_before=days, booking=table.text("booking", ""))


def _events(table: Table) -> tuple[PsychEvent, ...]:
    events: list[PsychEvent] = []
    for entry in table.tables("events"):
        entry.where = f"{table.where}.{entry.where}"  # tables() names root-level arrays only
        entry.allow(EVENT_KEYS)
        event = _event(entry)
        if event is None:
            continue
        if any((e.month, e.day) == (event.month, event.day) for e in events):
            entry.problem("psych_event_twice", value=f"{event.month:02d}-{event.day:02d}")
            continue
        events.append(event)
    return tuple(sorted(events, key=lambda e: (e.month, e.day)))


def _event(entry: Table) -> PsychEvent | None:
    raw = entry.text("date")
    name = entry.text("name", "")
    match = _MONTH_DAY.fullmatch(raw) if raw else None
    month, day = (int(match[1]), int(match[2])) if match else (0, 0)
    if match is None or not _exists(month, day):
        if raw:
            entry.problem("psych_event_date", name="date", value=raw)
        return None
    return PsychEvent(month, day, name)


def _exists(month: int, day: int) -> bool:
    """A day every year has (02-29 is not one)."""
    try:
        date(_LEAP_YEAR, month, day)
    except ValueError:
        return False
    return (month, day) != (2, 29)
