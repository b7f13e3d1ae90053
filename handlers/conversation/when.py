"""Reads when a contact happened from everyday Chinese (昨天下午3点, 上周三, 12月3日); pure.

Why a grammar of our own: dateparser (1.5, languages=["zh"]) reads only 「3天前」 of the phrases
mentors type; 昨天下午3点, 上周三, 12月3日 15:00, 前天晚上8点半 and 今天上午10点 all come back
None (tried 2026-12-02). What people write after 记录 is this small language, so it is spelled
out below and tested phrase by phrase.

Grammar (full-width digits, colons and spaces are read as their ASCII forms):

    expression := NOW | DAY | CLOCK | DAY [spaces] CLOCK
    NOW        := 现在 | 刚才 | 刚刚
    DAY        := 今天 | 今日 | 昨天 | 昨日 | 前天 | 大前天
                | N天前 | N天以前                       N: digits or 一二两三…十 (up to 九十九)
                | [上|上个|本|这|这个](周|星期|礼拜)W    W: 一…六, 日, 天, 1-7
                | YYYY年M月D[日|号] | YYYY-M-D | YYYY/M/D | YYYY.M.D
                | M月D[日|号] | M-D | M/D | M.D
    CLOCK      := PART | [PART] H(点|点钟|时)[半 | MM[分]] | [PART] H:MM
    PART       := 凌晨 | 早上 | 早晨 | 上午 | 中午 | 下午 | 傍晚 | 晚上

Meaning, always relative to `now` read in `tz`:
- 周三 alone is the most recent Wednesday not after today (today included); 上周三 is the
  Wednesday of the previous ISO week, 本周三/这周三 the one of this week.
- M月D日 without a year is the most recent such date not after today (else last year's).
- A day without a clock is `now` when it is today, otherwise 12:00 that day.
- PART alone: 凌晨 01:00, 早上 08:00, 上午 09:00, 中午 12:00, 下午 15:00, 傍晚 18:00,
  晚上 20:00. With an hour, PART shifts it (下午3点 = 15:00, 晚上12点 = midnight after the day).
- A clock without a day is today. A bare hour 1-11 without PART (3点, 3:30, not 03:30)
  takes its afternoon reading unless that is still in the future.
- Results later than now + 5 minutes are "future"; older than 365 days "too_old"; impossible
  dates or clocks (2月30日, 25:00) "unparsed".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

WhenError = Literal["unparsed", "future", "too_old"]

SLACK = timedelta(minutes=5)
MAX_AGE = timedelta(days=365)
_NOON = 12
# Days further than this from today are rejected before any datetime arithmetic can overflow.
_FAR_DAYS = 400

_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_CN_DIGITS = {c: n for n, cs in enumerate(("零〇", *"一", "二两", *"三四五六七八九")) for c in cs}
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2, "大前天": 3}
_WEEKDAY_NAMES = ("一1", "二2", "三3", "四4", "五5", "六6", "日天7")
_WEEKDAYS = {c: n for n, cs in enumerate(_WEEKDAY_NAMES, 1) for c in cs}
# Part of day → (hour when alone, ranges (low, high, add) that shift a spoken hour into 0-24).
_PARTS: dict[str, tuple[int, tuple[tuple[int, int, int], ...]]] = {
    "凌晨": (1, ((0, 6, 0), (12, 12, -12))),
    "早上": (8, ((4, 11, 0),)),
    "早晨": (8, ((4, 11, 0),)),
    "上午": (9, ((0, 12, 0),)),
    "中午": (12, ((11, 14, 0), (1, 2, 12))),
    "下午": (15, ((1, 11, 12), (12, 18, 0))),
    "傍晚": (18, ((4, 7, 12), (16, 19, 0))),
    "晚上": (20, ((5, 12, 12), (17, 23, 0), (0, 4, 24))),
}

_CN = "[零〇一二两三四五六七八九十]{1,3}"
_NUM = f"(?:[0-9]{{1,2}}|{_CN})"
_PART = "(?:" + "|".join(_PARTS) + ")"
_PART_OPT = f"(?:(?P<part>{_PART})\\s*)?"
_WEEK = "(?P<week>上个?|本|这个?)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
_NOW = re.compile("现在|刚才|刚刚")
_CLOCKS = (
    re.compile(f"(?P<part>{_PART})"),
    re.compile(f"{_PART_OPT}(?P<h>{_NUM})(?:点钟?|时)(?:(?P<half>半)|(?P<min>{_NUM})分?)?"),
    re.compile(f"{_PART_OPT}(?P<h>[0-9]{{1,2}}):(?P<min>[0-9]{{2}})"),
)

_DayValue = date | WhenError
_DayResolver = Callable[[re.Match[str], date], _DayValue]


@dataclass(frozen=True, slots=True)
class WhenResult:
    """Either `at` (aware, UTC) or `error` (a reason code) is set, never both."""

    at: datetime | None = None
    error: WhenError | None = None


@dataclass(frozen=True, slots=True)
class _Span:
    """One expression found at [start, end) of the normalised text."""

    start: int
    end: int
    day: tuple[_DayResolver, re.Match[str]] | None = None
    clock: re.Match[str] | None = None
    is_now: bool = False

    def text(self, normal: str) -> str:
        return normal[self.start : self.end]

    @property
    def anchored(self) -> bool:
        """Safe to take from inside a sentence: names a day, or a part of day with an hour."""
        groups = self.clock.groupdict() if self.clock else {}
        return self.day is not None or bool(groups.get("part") and groups.get("h"))


def to_halfwidth(text: str) -> str:
    """Full-width ASCII and the ideographic space as ASCII; keeps every index in place."""
    return text.translate(_HALFWIDTH)


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> WhenResult:
    """The moment `text` (nothing else) names, or why it cannot be used."""
    normal = to_halfwidth(text).strip()
    span = _longest_at(normal, 0)
    if span is None or span.end != len(normal):
        return WhenResult(error="unparsed")
    return _resolve(span, now, tz)


def find_when(text: str, now: datetime, tz: ZoneInfo) -> tuple[WhenResult | None, str]:
    """The longest time expression in `text` and the text without it.

    Whole whitespace-separated tokens win; inside a word only an expression naming a day or a
    part of day with an hour counts (so 3点 in 提了3点建议 and 现在 in 现在好多了 stay text).
    """
    normal = to_halfwidth(text)
    spans = [span for pos in range(len(normal)) for span in _spans_at(normal, pos)]
    whole = [span for span in spans if _is_whole_token(normal, span)]
    inside = [span for span in spans if span.anchored and not span.text(normal).isascii()]
    pool = whole or inside
    if not pool:
        return None, text
    best = max(pool, key=lambda span: (span.end - span.start, -span.start))
    return _resolve(best, now, tz), _cut(text, best.start, best.end)


def _resolve(span: _Span, now: datetime, tz: ZoneInfo) -> WhenResult:
    today = now.astimezone(tz).date()
    if span.is_now:
        return _checked(now, now)
    day = today if span.day is None else span.day[0](span.day[1], today)
    if isinstance(day, str):
        return WhenResult(error=day)
    if abs((day - today).days) > _FAR_DAYS:
        return WhenResult(error="future" if day > today else "too_old")
    if span.clock is None:
        return _checked(now if day == today else _local(day, _NOON, 0, tz), now)
    clock = _clock_of(span.clock)
    if clock is None:
        return WhenResult(error="unparsed")
    return _checked(_at_clock(day, clock, now, tz), now)


def _checked(at: datetime, now: datetime) -> WhenResult:
    if at > now + SLACK:
        return WhenResult(error="future")
    if now - at > MAX_AGE:
        return WhenResult(error="too_old")
    return WhenResult(at=at.astimezone(UTC))


def _at_clock(day: date, clock: tuple[int, int, bool], now: datetime, tz: ZoneInfo) -> datetime:
    hour, minute, twelve_hour = clock
    at = _local(day, hour, minute, tz)
    if twelve_hour:
        # 3点 said in the evening means 15:00; said at 9 in the morning it can only mean 03:00.
        afternoon = _local(day, hour + 12, minute, tz)
        if afternoon <= now + SLACK:
            return afternoon
    return at


def _local(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    """Wall-clock time on `day` in `tz`; hour 24 and beyond roll into the next day."""
    midnight = datetime.combine(day, time(), tzinfo=tz)
    return (midnight + timedelta(hours=hour, minutes=minute)).astimezone(UTC)


def _clock_of(match: re.Match[str]) -> tuple[int, int, bool] | None:
    """(hour, minute, hour is a bare 1-11 that may mean the afternoon), or None if impossible."""
    groups = match.groupdict()
    part, hour_text = groups["part"], groups.get("h")
    if hour_text is None:
        return _PARTS[part][0], 0, False
    hour = _number(hour_text)
    minute = 30 if groups.get("half") else _number(groups["min"] or "0")
    if hour is None or minute is None or minute > 59:
        return None
    if part is not None:
        shifted = _shift(part, hour)
        return None if shifted is None else (shifted, minute, False)
    if hour > 23:
        return None
    return hour, minute, 1 <= hour <= 11 and not hour_text.startswith("0")


def _shift(part: str, hour: int) -> int | None:
    for low, high, add in _PARTS[part][1]:
        if low <= hour <= high:
            return hour + add
    return None


def _number(text: str) -> int | None:
    """Digits, or a Chinese numeral up to 九十九 (十, 十二, 二十, 二十三)."""
    if text.isascii():
        return int(text)
    head, ten, tail = text.partition("十")
    if not ten:
        return _CN_DIGITS[text] if len(text) == 1 else None
    tens = _CN_DIGITS.get(head, -1) if head else 1
    ones = _CN_DIGITS.get(tail, -1) if tail else 0
    return tens * 10 + ones if tens > 0 and ones >= 0 else None


def _longest_at(text: str, pos: int) -> _Span | None:
    return max(_spans_at(text, pos), key=lambda span: span.end, default=None)


def _spans_at(text: str, pos: int) -> list[_Span]:
    """Every expression starting at `pos`; none may touch a digit outside it (绩点13.5)."""
    if (pos > 0 and _is_digit(text[pos - 1])) or text[pos : pos + 1].isspace():
        return []
    spans = [_Span(pos, now.end(), is_now=True)] if (now := _NOW.match(text, pos)) else []
    days = [(resolve, match) for pattern, resolve in _DAYS if (match := pattern.match(text, pos))]
    for day in [None, *days]:
        after = day[1].end() if day else pos
        if day:
            spans.append(_Span(pos, after, day))
        gap = len(text) - len(text[after:].lstrip())
        clocks = (clock for pattern in _CLOCKS if (clock := pattern.match(text, gap)))
        spans.extend(_Span(pos, clock.end(), day, clock) for clock in clocks)
    return [span for span in spans if not _is_digit(text[span.end : span.end + 1])]


def _is_digit(char: str) -> bool:
    return char.isascii() and char.isdigit()


def _is_whole_token(text: str, span: _Span) -> bool:
    before_ok = span.start == 0 or text[span.start - 1].isspace()
    return before_ok and (span.end == len(text) or text[span.end].isspace())


def _cut(text: str, start: int, end: int) -> str:
    """`text` without [start, end), outer blanks stripped; keeps a single space where the cut
    separated two tokens."""
    before, after = text[:start], text[end:]
    if not before.strip() or not after.strip():
        return (before + after).strip()
    if before[-1].isspace() or after[0].isspace():
        return f"{before.rstrip()} {after.lstrip()}".strip()
    return (before + after).strip()


def _relative(match: re.Match[str], today: date) -> _DayValue:
    return today - timedelta(days=_RELATIVE_DAYS[match["rel"]])


def _days_ago(match: re.Match[str], today: date) -> _DayValue:
    days = _number(match["n"])
    if days is None:
        return "unparsed"
    return "too_old" if days > _FAR_DAYS else today - timedelta(days=days)


def _weekday(match: re.Match[str], today: date) -> _DayValue:
    weekday, week = _WEEKDAYS[match["wd"]], match["week"] or ""
    monday = today - timedelta(days=today.weekday())
    if week.startswith("上"):
        return monday - timedelta(days=7) + timedelta(days=weekday - 1)
    if week:
        return monday + timedelta(days=weekday - 1)
    return today - timedelta(days=(today.isoweekday() - weekday) % 7)


def _full_date(match: re.Match[str], today: date) -> _DayValue:
    return _date(int(match["y"]), _number(match["m"]), _number(match["d"]))


def _month_day(match: re.Match[str], today: date) -> _DayValue:
    month, day = _number(match["m"]), _number(match["d"])
    if month is None or day is None:
        return "unparsed"
    year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
    return _date(year, month, day)


def _date(year: int, month: int | None, day: int | None) -> _DayValue:
    try:
        return date(year, month or 0, day or 0)
    except ValueError:
        return "unparsed"


_DAYS: tuple[tuple[re.Pattern[str], _DayResolver], ...] = (
    (re.compile("(?P<rel>" + "|".join(_RELATIVE_DAYS) + ")"), _relative),
    (re.compile(f"(?P<n>[0-9]{{1,6}}|{_CN})\\s*天(?:以)?前"), _days_ago),
    (re.compile(_WEEK), _weekday),
    (re.compile(f"(?P<y>[0-9]{{4}})年(?P<m>{_NUM})月(?P<d>{_NUM})[日号]?"), _full_date),
    (re.compile(r"(?P<y>[0-9]{4})([-/.])(?P<m>[0-9]{1,2})\2(?P<d>[0-9]{1,2})"), _full_date),
    (re.compile(f"(?P<m>{_NUM})月(?P<d>{_NUM})[日号]?"), _month_day),
    (re.compile(r"(?P<m>[0-9]{1,2})([-/.])(?P<d>[0-9]{1,2})"), _month_day),
)
