"""How one typed answer or button press is read at each kind of form step, and when it is
refused (the reason picks the hint the person is shown)."""

from __future__ import annotations

from datetime import datetime

import pytest

from handlers.conversation import answers
from handlers.conversation.answers import Invalid, Parsed
from handlers.conversation.forms import Choice, Step
from tests.fakes.clock import SHANGHAI

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
KINDS = (
    Choice("谈心谈话", "谈心谈话", aliases=("谈心",)),
    Choice("宿舍走访", "宿舍走访", aliases=("走访",)),
    Choice("Phone", "电话联系"),
    Choice("宿舍谈话", "宿舍谈话"),
)


def parse_at(step: Step, raw: str, choices: tuple[Choice, ...]) -> Parsed | Invalid:
    """Parsing is pure: it is given the time and the time zone, never a session."""
    return answers.parse(step, raw, None, choices=choices, now=NOW, tz=SHANGHAI)


def parse(kind: str, raw: str, button: str | None = None, **step: int) -> Parsed | Invalid:
    at = Step("s", kind, "form_intro", "效果评估", **step)  # type: ignore[arg-type]
    return answers.parse(at, raw, button, choices=KINDS, now=NOW, tz=SHANGHAI)


def test_full_width_input_from_chinese_imes_reads_as_half_width() -> None:
    assert answers.normalise("  ＯＫ　　１２\t３  ") == "OK 12 3"
    assert answers.normalise("！～") == "!~"  # both ends of the full-width ASCII block
    assert answers.normalise("\uff00\uff5f") == "\uff00\uff5f"  # just outside it
    assert answers.normalise(None) == "" and answers.normalise("") == ""
    assert answers.word_of(" ＣＡＮＣＥＬ ") == "cancel"


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("7", 7),
        ("123456789", 123456789),
        ("1234567890", None),
        ("①", None),
        ("²", None),
        ("-1", None),
        ("", None),
        ("3.5", None),
    ],
)
def test_a_number_is_plain_decimal_digits_that_fit_a_database_integer(
    text: str, number: int | None
) -> None:
    assert answers.number_of(text) == number


def test_edit_n_names_a_row_of_the_confirmation() -> None:
    assert answers.edit_number("修改 3") == 3
    assert answers.edit_number("改12") == 12
    assert answers.edit_number("修改 123") is None
    assert answers.edit_number("修改") is None
    assert answers.edit_number("请修改 3") is None


@pytest.mark.parametrize(
    ("raw", "button", "value"),
    [
        ("", "form:choice:1", "宿舍走访"),  # a button press wins over the text
        ("1", "form:choice:3", "宿舍谈话"),
        ("2", None, "宿舍走访"),  # numbers count from 1
        ("4", None, "宿舍谈话"),
        (" 谈心谈话 ", None, "谈心谈话"),  # a label
        ("phone", None, "Phone"),  # a value, any case
        ("走访", None, "宿舍走访"),  # an alias
        ("电话", None, "Phone"),  # the start of one label only
        ("１", None, "谈心谈话"),  # a full-width digit
    ],
)
def test_a_choice_is_a_button_a_number_a_label_an_alias_or_a_unique_prefix(
    raw: str, button: str | None, value: str
) -> None:
    parsed = parse("choice", raw, button)
    assert isinstance(parsed, Parsed) and parsed.value == value
    assert parsed.label == next(c.label for c in KINDS if c.value == value)


@pytest.mark.parametrize(
    ("raw", "button", "reason"),
    [
        ("0", None, "choice"),
        ("5", None, "choice"),
        ("", "form:choice:4", "choice"),
        ("", "form:choice:x", "choice"),
        ("", None, "choice"),  # nothing typed is not a prefix of everything
        ("家访", None, "choice"),
        ("宿舍", None, "ambiguous"),  # 宿舍走访 or 宿舍谈话
    ],
)
def test_a_choice_out_of_range_unknown_or_ambiguous_is_refused(
    raw: str, button: str | None, reason: str
) -> None:
    assert parse("choice", raw, button) == Invalid(reason)


def test_a_label_shared_by_two_choices_is_ambiguous() -> None:
    twins = (Choice("a", "张三"), Choice("b", "张三"))
    step = Step("student", "choice", "form_intro", "学生")
    assert parse_at(step, "张三", twins) == Invalid("ambiguous")
    assert parse_at(step, "2", twins) == Parsed("b", "张三")


def test_a_whole_label_wins_over_a_longer_label_it_begins() -> None:
    dorm = (Choice("dorm", "宿舍走访"), Choice("night", "宿舍走访夜间"))
    step = Step("kind", "choice", "form_intro", "类型")
    assert parse_at(step, "宿舍走访", dorm) == Parsed("dorm", "宿舍走访")
    assert parse_at(step, "宿舍走", dorm) == Invalid("ambiguous")


def test_an_alias_two_choices_share_is_ambiguous() -> None:
    shared = (Choice("a", "甲", aliases=("x",)), Choice("b", "乙", aliases=("x",)))
    step = Step("kind", "choice", "form_intro", "类型")
    assert parse_at(step, "x", shared) == Invalid("ambiguous")


def test_a_button_that_is_not_a_choice_is_read_as_the_text() -> None:
    assert parse("choice", "2", "form:confirm") == Parsed("宿舍走访", "宿舍走访")
    assert parse("yesno", "有", "other:choice:1") == Parsed(True, "有")


@pytest.mark.parametrize(
    ("raw", "button", "expected"),
    [
        ("", "form:choice:0", Parsed(True, "有")),
        ("", "form:choice:1", Parsed(False, "无")),
        ("有风险", None, Parsed(True, "有")),
        ("YES", None, Parsed(True, "有")),
        ("没有", None, Parsed(False, "无")),
        ("无风险", None, Parsed(False, "无")),
        ("", "form:choice:2", Invalid("yesno")),
        ("也许", None, Invalid("yesno")),
    ],
)
def test_yes_or_no_from_the_buttons_or_the_words(
    raw: str, button: str | None, expected: Parsed | Invalid
) -> None:
    assert parse("yesno", raw, button) == expected


def test_a_time_is_stored_in_utc_and_shown_in_shanghai_time() -> None:
    parsed = parse("when", "昨天下午3点")
    assert isinstance(parsed, Parsed)
    assert parsed.value == "2026-11-25T07:00:00+00:00"
    assert parsed.label == "2026-11-25 15:00"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("改天吧", "when_unparsed"), ("今天下午3点", "when_future"), ("2020年1月1日", "when_too_old")],
)
def test_a_time_that_cannot_be_used_says_why(raw: str, reason: str) -> None:
    assert parse("when", raw) == Invalid(reason)


def test_free_text_is_trimmed_and_kept_within_the_steps_bounds() -> None:
    assert parse("text", "  ab  ", min_len=2, max_len=4) == Parsed("ab", "ab")
    assert parse("text", "abcd", min_len=2, max_len=4) == Parsed("abcd", "abcd")
    assert parse("text", " a ", min_len=2, max_len=4) == Invalid("too_short")
    assert parse("text", "abcde", min_len=2, max_len=4) == Invalid("too_long")
    assert parse("text", "", min_len=0) == Parsed("", "")
