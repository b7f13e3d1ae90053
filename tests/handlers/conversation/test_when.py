"""parse_when and find_when read Chinese time phrases relative to an injected `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from handlers.conversation.when import MAX_AGE, SLACK, WhenResult, find_when, parse_when
from tests.fakes.clock import SHANGHAI

# Monday 2026-11-23, 09:00 in Shanghai: the default FakeClock moment.
MONDAY_MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)
MONDAY_EVENING = datetime(2026, 11, 23, 21, 0, tzinfo=SHANGHAI).astimezone(UTC)
NEW_YEAR = datetime(2026, 1, 2, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)  # a Friday


def _local(result: WhenResult) -> str:
    """The result as Shanghai wall time, or its error code."""
    if result.at is None:
        assert result.error is not None
        return result.error
    assert result.error is None
    assert result.at.utcoffset() == timedelta(0)
    return result.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def test_the_fixed_now_is_a_monday_morning() -> None:
    local = MONDAY_MORNING.astimezone(SHANGHAI)
    assert (local.isoweekday(), local.hour) == (1, 9)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("现在", "2026-11-23 09:00"),
        ("刚才", "2026-11-23 09:00"),
        ("刚刚", "2026-11-23 09:00"),
        ("今天", "2026-11-23 09:00"),
        ("昨天", "2026-11-22 12:00"),
        ("前天", "2026-11-21 12:00"),
        ("大前天", "2026-11-20 12:00"),
        ("3天前", "2026-11-20 12:00"),
        ("3 天前", "2026-11-20 12:00"),
        ("三天前", "2026-11-20 12:00"),
        ("两天前", "2026-11-21 12:00"),
        ("十天前", "2026-11-13 12:00"),
        ("十二天前", "2026-11-11 12:00"),
        ("二十天以前", "2026-11-03 12:00"),
        ("0天前", "2026-11-23 09:00"),
        ("上周三", "2026-11-18 12:00"),
        ("上周一", "2026-11-16 12:00"),
        ("上周日", "2026-11-22 12:00"),
        ("上星期三", "2026-11-18 12:00"),
        ("上礼拜三", "2026-11-18 12:00"),
        ("上个星期五", "2026-11-20 12:00"),
        ("本周一", "2026-11-23 09:00"),
        ("这周一", "2026-11-23 09:00"),
        ("周三", "2026-11-18 12:00"),
        ("星期三", "2026-11-18 12:00"),
        ("礼拜天", "2026-11-22 12:00"),
        ("周日", "2026-11-22 12:00"),
        ("周一", "2026-11-23 09:00"),
        ("周2", "2026-11-17 12:00"),
        ("12月3日", "2025-12-03 12:00"),
        ("12月3号", "2025-12-03 12:00"),
        ("十二月三日", "2025-12-03 12:00"),
        ("11月23日", "2026-11-23 09:00"),
        ("11月22日", "2026-11-22 12:00"),
        ("11月24日", "2025-11-24 12:00"),
        ("12-03", "2025-12-03 12:00"),
        ("12/03", "2025-12-03 12:00"),
        ("12.03", "2025-12-03 12:00"),
        ("11-20", "2026-11-20 12:00"),
        ("2026-11-20", "2026-11-20 12:00"),
        ("2026/11/20", "2026-11-20 12:00"),
        ("2026.11.20", "2026-11-20 12:00"),
        ("2025/12/3", "2025-12-03 12:00"),
        ("2026年11月20日", "2026-11-20 12:00"),
        ("2026年11月20号", "2026-11-20 12:00"),
    ],
)
def test_days(text: str, expected: str) -> None:
    assert _local(parse_when(text, MONDAY_MORNING, SHANGHAI)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("昨天15:00", "2026-11-22 15:00"),
        ("昨天 15:00", "2026-11-22 15:00"),
        ("昨天15点", "2026-11-22 15:00"),
        ("昨天15点30分", "2026-11-22 15:30"),
        ("昨天3点半", "2026-11-22 15:30"),
        ("昨天三点", "2026-11-22 15:00"),
        ("昨天03:00", "2026-11-22 03:00"),
        ("昨天下午3点", "2026-11-22 15:00"),
        ("昨天下午 3点", "2026-11-22 15:00"),
        ("昨天下午3:30", "2026-11-22 15:30"),
        ("昨天下午三点半", "2026-11-22 15:30"),
        ("昨天晚上8点", "2026-11-22 20:00"),
        ("昨天晚上20:00", "2026-11-22 20:00"),
        ("昨天晚上12点", "2026-11-23 00:00"),
        ("昨天中午12点", "2026-11-22 12:00"),
        ("昨天中午1点", "2026-11-22 13:00"),
        ("昨天凌晨1点", "2026-11-22 01:00"),
        ("昨天上午10点", "2026-11-22 10:00"),
        ("昨天早上7点半", "2026-11-22 07:30"),
        ("昨天傍晚6点", "2026-11-22 18:00"),
        ("昨天上午", "2026-11-22 09:00"),
        ("昨天中午", "2026-11-22 12:00"),
        ("昨天下午", "2026-11-22 15:00"),
        ("昨天晚上", "2026-11-22 20:00"),
        ("昨天早上", "2026-11-22 08:00"),
        ("昨天傍晚", "2026-11-22 18:00"),
        ("昨天凌晨", "2026-11-22 01:00"),
        ("上周三下午3点", "2026-11-18 15:00"),
        ("12月3日 下午", "2025-12-03 15:00"),
        ("2026-11-20 14:30", "2026-11-20 14:30"),
    ],
)
def test_a_day_with_a_time(text: str, expected: str) -> None:
    assert _local(parse_when(text, MONDAY_MORNING, SHANGHAI)) == expected


@pytest.mark.parametrize(
    ("text", "morning", "evening"),
    [
        ("15:00", "future", "2026-11-23 15:00"),
        ("15点", "future", "2026-11-23 15:00"),
        ("下午3点", "future", "2026-11-23 15:00"),
        ("下午3:30", "future", "2026-11-23 15:30"),
        ("晚上8点", "future", "2026-11-23 20:00"),
        ("中午12点", "future", "2026-11-23 12:00"),
        ("十二点", "future", "2026-11-23 12:00"),
        ("下午", "future", "2026-11-23 15:00"),
        ("早上", "2026-11-23 08:00", "2026-11-23 08:00"),
        ("凌晨1点", "2026-11-23 01:00", "2026-11-23 01:00"),
        ("08:00", "2026-11-23 08:00", "2026-11-23 08:00"),
        ("八点", "2026-11-23 08:00", "2026-11-23 20:00"),
        # A bare 1-11 o'clock reads as the afternoon unless that has not happened yet.
        ("3点半", "2026-11-23 03:30", "2026-11-23 15:30"),
        ("3点", "2026-11-23 03:00", "2026-11-23 15:00"),
        ("9:04", "2026-11-23 09:04", "2026-11-23 21:04"),
        ("9:06", "future", "2026-11-23 09:06"),
    ],
)
def test_a_time_alone_is_today(text: str, morning: str, evening: str) -> None:
    assert _local(parse_when(text, MONDAY_MORNING, SHANGHAI)) == morning
    assert _local(parse_when(text, MONDAY_EVENING, SHANGHAI)) == evening


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("１５：００", "2026-11-23 15:00"),
        ("昨天１５：００", "2026-11-22 15:00"),
        ("昨天　下午３点", "2026-11-22 15:00"),
        ("３天前", "2026-11-20 12:00"),
        ("１２月３日", "2025-12-03 12:00"),
        ("２０２６－１１－２０", "2026-11-20 12:00"),
        ("  昨天  ", "2026-11-22 12:00"),
    ],
)
def test_full_width_and_padded_input(text: str, expected: str) -> None:
    assert _local(parse_when(text, MONDAY_EVENING, SHANGHAI)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12月30日", "2025-12-30 12:00"),
        ("12/31", "2025-12-31 12:00"),
        ("1月2日", "2026-01-02 10:00"),
        ("1月3日", "2025-01-03 12:00"),
        ("昨天", "2026-01-01 12:00"),
        ("前天", "2025-12-31 12:00"),
        ("上周三", "2025-12-24 12:00"),
        ("周四", "2026-01-01 12:00"),
        ("周五", "2026-01-02 10:00"),
        ("周六", "2025-12-27 12:00"),
    ],
)
def test_year_rollover(text: str, expected: str) -> None:
    assert _local(parse_when(text, NEW_YEAR, SHANGHAI)) == expected


def test_february_29_exists_only_in_leap_years() -> None:
    leap = datetime(2028, 3, 1, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)
    assert _local(parse_when("2月29日", leap, SHANGHAI)) == "2028-02-29 12:00"
    assert _local(parse_when("2月29日", MONDAY_MORNING, SHANGHAI)) == "unparsed"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("本周二", "future"),
        ("这周日", "future"),
        ("2026-12-03", "future"),
        ("2026年12月3日", "future"),
        ("今天下午3点", "future"),
        ("9999-12-31 晚上12点", "future"),
        ("2025-11-22", "too_old"),
        ("366天前", "too_old"),
        ("99999天前", "too_old"),
        ("2020-01-01", "too_old"),
        ("0001-01-01 凌晨1点", "too_old"),
        ("2月30日", "unparsed"),
        ("13月1日", "unparsed"),
        ("昨天25:00", "unparsed"),
        ("昨天24:00", "unparsed"),
        ("昨天15:60", "unparsed"),
        ("上午15点", "unparsed"),
        ("0000-01-01", "unparsed"),
        ("", "unparsed"),
        ("明天", "unparsed"),
        ("随便哪天", "unparsed"),
        ("昨天 宿舍", "unparsed"),
        ("123天", "unparsed"),
    ],
)
def test_errors(text: str, error: str) -> None:
    assert _local(parse_when(text, MONDAY_MORNING, SHANGHAI)) == error


def test_the_oldest_day_accepted_is_365_days_back() -> None:
    assert _local(parse_when("365天前", MONDAY_MORNING, SHANGHAI)) == "2025-11-23 12:00"
    assert _local(parse_when("2025-11-23", MONDAY_MORNING, SHANGHAI)) == "2025-11-23 12:00"


@pytest.mark.parametrize(
    ("text", "expected", "rest"),
    [
        ("张三 昨天 宿舍", "2026-11-22 12:00", "张三 宿舍"),
        ("昨天 下午3点 聊了", "2026-11-22 15:00", "聊了"),
        ("上周三下午 在宿舍", "2026-11-18 15:00", "在宿舍"),
        ("他说昨天下午3点来过", "2026-11-22 15:00", "他说来过"),
        ("昨天，情绪稳定", "2026-11-22 12:00", "，情绪稳定"),
        ("现在 好多了", "2026-11-23 09:00", "好多了"),
        ("绩点3.5 昨天", "2026-11-22 12:00", "绩点3.5"),
        ("昨天 3点建议", "2026-11-22 12:00", "3点建议"),
        ("１２月３日　谈心", "2025-12-03 12:00", "谈心"),
        ("2月30日 谈心", "unparsed", "谈心"),
        # A whole token beats a longer phrase inside a sentence.
        ("他说上周三下午来过 昨天", "2026-11-22 12:00", "他说上周三下午来过"),
    ],
)
def test_find_when_takes_the_expression_out(text: str, expected: str, rest: str) -> None:
    found, remainder = find_when(text, MONDAY_MORNING, SHANGHAI)
    assert found is not None
    assert (_local(found), remainder) == (expected, rest)


@pytest.mark.parametrize(
    "text",
    ["提了3点建议", "现在好多了", "下午去了图书馆", "得分12.03分", "聊了学业", "绩点3.5", ""],
)
def test_find_when_leaves_ordinary_words_alone(text: str) -> None:
    assert find_when(text, MONDAY_MORNING, SHANGHAI) == (None, text)


FRAGMENTS = st.sampled_from(
    [
        *"0123456789一二两三十：:./-年月日号点时分半周天前 　",
        *("上周", "本周", "星期", "礼拜", "今天", "昨天", "大前天", "现在"),
        *("上午", "下午", "晚上", "凌晨", "中午", "99999", "2026", "9999", "0001"),
    ]
)
GRAMMARISH = st.lists(FRAGMENTS, max_size=12).map("".join)
NOWS = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 31), timezones=st.just(UTC)
)


@settings(deadline=None)
@given(text=st.one_of(st.text(max_size=40), GRAMMARISH), now=NOWS)
def test_parse_when_never_raises_nor_lands_in_the_future(text: str, now: datetime) -> None:
    result = parse_when(text, now, SHANGHAI)
    assert (result.at is None) != (result.error is None)
    if result.at is not None:
        assert now - MAX_AGE <= result.at <= now + SLACK
        assert result.at.tzinfo is UTC


@settings(deadline=None)
@given(text=st.one_of(st.text(max_size=60), GRAMMARISH), now=NOWS)
@example(text=":今天:  ", now=datetime(2001, 1, 1, tzinfo=UTC))  # blanks after a cut inside words
def test_find_when_never_raises_and_only_removes_text(text: str, now: datetime) -> None:
    found, rest = find_when(text, now, SHANGHAI)
    if found is None:
        assert rest == text
    else:
        assert len(rest) < len(text.strip()) or not rest
        assert found.at is None or found.at <= now + SLACK
