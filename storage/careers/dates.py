"""Reading a deadline as people write it (2026-12-31, 2026年12月31日, 12月31日, 12/31); pure.

A date without a year is the next such day from today (today included): a deadline is ahead.
"""

from __future__ import annotations

import re
from datetime import date, datetime

_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_FULL = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_SHORT = re.compile(r"(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")


def parse_deadline(raw: object, *, today: date) -> date | None:
    """The day `raw` names (a cell's date, or text), or None when it names no real day."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw or "").translate(_HALFWIDTH).strip()
    full = _FULL.fullmatch(text)
    if full:
        return _day(*(int(part) for part in full.groups()))
    short = _SHORT.fullmatch(text)
    if short is None:
        return None
    month, day = (int(part) for part in short.groups())
    this_year = _day(today.year, month, day)
    if this_year is not None and this_year >= today:
        return this_year
    return _day(today.year + 1, month, day)


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
