"""parse_quick_log splits a one-line visit log into student, kind, time, place, text and effect."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.care.quick_log import (
    EFFECT_SHORTHAND,
    KIND_SHORTHAND,
    QuickLog,
    StudentRef,
    parse_quick_log,
)
from storage.care.kinds import effects, visit_kinds
from tests.fakes.clock import SHANGHAI

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)  # a Monday morning
YESTERDAY_NOON = datetime(2026, 11, 22, 12, 0, tzinfo=SHANGHAI).astimezone(UTC)

ZHANG = StudentRef(id=1, name="张三", code="2023001", class_name="计科2301")
LI = StudentRef(id=2, name="李四", code="2023002", class_name="计科2301")
OTHER_ZHANG = StudentRef(id=3, name="张三", code="2023003", class_name="软工2302")
UNIQUE = (ZHANG, LI)
SAME_NAME = (ZHANG, LI, OTHER_ZHANG)

STAFF_KINDS = (
    "谈心谈话",
    "走访寝室",
    "学业辅导",
    "心理疏导",
    "经济资助",
    "就业指导",
    "电话/线上联系",
    "家长联系",
    "学习陪伴",
    "其他",
)
PEER_KINDS = ("谈心谈话", "学习陪伴", "其他")

EXAMPLE = "张三 谈心 昨天 宿舍 情绪稳定，已申请助学金 效果稳定"
EXAMPLE_LOG = QuickLog(
    student_token="张三",
    candidates=(ZHANG,),
    kind="谈心谈话",
    occurred_at=YESTERDAY_NOON,
    place="寝室",
    summary="情绪稳定，已申请助学金",
    effect="保持稳定",
)


def _parse(
    text: str,
    *,
    students: tuple[StudentRef, ...] = UNIQUE,
    kinds: tuple[str, ...] = STAFF_KINDS,
) -> QuickLog:
    return parse_quick_log(text, students=students, kinds=kinds, now=NOW, tz=SHANGHAI)


def test_the_example_sentence() -> None:
    log = _parse(EXAMPLE)
    assert log == EXAMPLE_LOG
    assert log.student == ZHANG
    assert not log.ambiguous


def test_full_width_spaces_and_digits() -> None:
    assert _parse("张三　谈心　昨天　宿舍　情绪稳定，已申请助学金　效果稳定") == EXAMPLE_LOG
    log = _parse("２０２３００１ 谈心 昨天１５：００ 聊了聊")
    assert (log.student, log.occurred_at) == (ZHANG, YESTERDAY_NOON.replace(hour=7))


def test_tokens_come_in_any_order() -> None:
    assert _parse("效果稳定 情绪稳定，已申请助学金 宿舍 昨天 谈心 张三") == EXAMPLE_LOG


@pytest.mark.parametrize(
    ("missing", "text", "expected"),
    [
        (
            "student",
            "谈心 昨天 宿舍 情绪稳定，已申请助学金 效果稳定",
            replace(EXAMPLE_LOG, student_token=None, candidates=None),
        ),
        ("kind", "张三 昨天 宿舍 情绪稳定，已申请助学金 效果稳定", replace(EXAMPLE_LOG, kind=None)),
        (
            "time",
            "张三 谈心 宿舍 情绪稳定，已申请助学金 效果稳定",
            replace(EXAMPLE_LOG, occurred_at=None),
        ),
        (
            "place",
            "张三 谈心 昨天 情绪稳定，已申请助学金 效果稳定",
            replace(EXAMPLE_LOG, place=None),
        ),
        ("summary", "张三 谈心 昨天 宿舍 效果稳定", replace(EXAMPLE_LOG, summary=None)),
        ("effect", "张三 谈心 昨天 宿舍 情绪稳定，已申请助学金", replace(EXAMPLE_LOG, effect=None)),
        ("everything", "", QuickLog()),
    ],
)
def test_each_field_may_be_missing(missing: str, text: str, expected: QuickLog) -> None:
    assert _parse(text) == expected


def test_same_name_students_stay_ambiguous() -> None:
    log = _parse("张三 谈心 昨天 聊了聊", students=SAME_NAME)
    assert log.candidates == (ZHANG, OTHER_ZHANG)
    assert log.ambiguous
    assert log.student is None
    assert log.summary == "聊了聊"


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("张三 软工2302 谈心 聊了聊", "张三"),
        ("谈心 张三 聊了聊 软工2302", "张三"),
        ("张三(软工2302) 谈心 聊了聊", "张三(软工2302)"),
        ("张三（软工2302） 谈心 聊了聊", "张三（软工2302）"),
        ("2023003 谈心 聊了聊", "2023003"),
        ("张三 2023003 谈心 聊了聊", "2023003"),
    ],
)
def test_class_or_code_picks_among_same_name_students(text: str, token: str) -> None:
    log = _parse(text, students=SAME_NAME)
    assert (log.student, log.student_token, log.summary) == (OTHER_ZHANG, token, "聊了聊")


def test_a_class_nobody_is_in_matches_nobody() -> None:
    log = _parse("张三(软工9999) 谈心 聊了聊", students=SAME_NAME)
    assert (log.candidates, log.student_token, log.summary) == (None, "张三(软工9999)", "聊了聊")


@pytest.mark.parametrize(
    ("text", "token", "summary"),
    [
        ("王五 谈心 昨天 聊了聊", "王五", "聊了聊"),
        ("阿依古丽·买买提 谈心 聊了聊", "阿依古丽·买买提", "聊了聊"),
        ("2099001 谈心 聊了聊", "2099001", "聊了聊"),
        # Not name-like, or nothing else to be the text: it is the text.
        ("该生情绪低落需要关注 谈心", None, "该生情绪低落需要关注"),
        ("聊了聊 谈心", None, "聊了聊"),
        ("昨天下午 聊了聊", None, "聊了聊"),
    ],
)
def test_an_unknown_leading_name_is_reported(text: str, token: str | None, summary: str) -> None:
    log = _parse(text)
    assert (log.candidates, log.student_token, log.summary) == (None, token, summary)


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("谈心", "谈心谈话"),
        ("谈话", "谈心谈话"),
        ("谈心谈话", "谈心谈话"),
        ("走访", "走访寝室"),
        ("寝室走访", "走访寝室"),
        ("走访寝室", "走访寝室"),
        ("查寝", "走访寝室"),
        ("学业", "学业辅导"),
        ("辅导", "学业辅导"),
        ("学业辅导", "学业辅导"),
        ("心理", "心理疏导"),
        ("心理疏导", "心理疏导"),
        ("资助", "经济资助"),
        ("经济资助", "经济资助"),
        ("就业", "就业指导"),
        ("就业指导", "就业指导"),
        ("电话", "电话/线上联系"),
        ("线上", "电话/线上联系"),
        ("微信", "电话/线上联系"),
        ("电话联系", "电话/线上联系"),
        ("电话/线上联系", "电话/线上联系"),
        ("家长", "家长联系"),
        ("家长联系", "家长联系"),
        ("陪伴", "学习陪伴"),
        ("学习陪伴", "学习陪伴"),
        ("其他", "其他"),
    ],
)
def test_kind_aliases(word: str, kind: str) -> None:
    log = _parse(f"张三 {word} 聊了聊")
    assert (log.kind, log.disallowed_kind, log.place, log.summary) == (kind, None, None, "聊了聊")


def test_a_kind_the_caller_passes_is_accepted_as_written() -> None:
    log = _parse("张三 家访 聊了聊", kinds=("家访",))
    assert (log.kind, log.summary) == ("家访", "聊了聊")


@pytest.mark.parametrize(("word", "kind"), [("心理", "心理疏导"), ("走访", "走访寝室")])
def test_a_kind_not_allowed_is_reported_not_taken(word: str, kind: str) -> None:
    log = _parse(f"张三 {word} 聊了聊", kinds=PEER_KINDS)
    assert (log.kind, log.disallowed_kind, log.summary) == (None, kind, "聊了聊")


def test_an_allowed_kind_wins_and_other_kind_words_stay_text() -> None:
    log = _parse("张三 心理 陪伴 聊了聊", kinds=PEER_KINDS)
    assert (log.kind, log.disallowed_kind, log.summary) == ("学习陪伴", None, "心理 聊了聊")


@pytest.mark.parametrize(
    ("text", "kinds", "kind", "place"),
    [
        ("张三 电话 聊了聊", STAFF_KINDS, "电话/线上联系", None),
        ("张三 电话 聊了聊", PEER_KINDS, None, "电话"),
        ("张三 谈心 线上 聊了聊", STAFF_KINDS, "谈心谈话", "线上"),
        ("张三 线上 谈心 聊了聊", STAFF_KINDS, "谈心谈话", "线上"),
        ("张三 电话 电话 聊了聊", STAFF_KINDS, "电话/线上联系", "电话"),
    ],
)
def test_phone_and_online_are_a_kind_or_a_place(
    text: str, kinds: tuple[str, ...], kind: str | None, place: str | None
) -> None:
    log = _parse(text, kinds=kinds)
    assert (log.kind, log.disallowed_kind, log.place, log.summary) == (kind, None, place, "聊了聊")


@pytest.mark.parametrize(
    ("word", "place"),
    [
        ("宿舍", "寝室"),
        ("寝室", "寝室"),
        ("在宿舍", "寝室"),
        ("办公室", "办公室"),
        ("图书馆", "图书馆"),
        ("教室", "教室"),
        ("食堂", "食堂"),
        ("咨询室", "心理咨询室"),
        ("心理咨询室", "心理咨询室"),
        ("家中", "家中"),
        ("家里", "家中"),
    ],
)
def test_places(word: str, place: str) -> None:
    log = _parse(f"张三 谈心 {word} 聊了聊")
    assert (log.place, log.summary) == (place, "聊了聊")


def test_a_place_inside_the_text_stays_text() -> None:
    log = _parse("张三 谈心 在宿舍聊了聊")
    assert (log.place, log.summary) == (None, "在宿舍聊了聊")


@pytest.mark.parametrize(
    ("words", "effect"),
    [
        ("效果稳定", "保持稳定"),
        ("稳定", "保持稳定"),
        ("保持稳定", "保持稳定"),
        ("保持稳定。", "保持稳定"),
        ("效果：明显好转", "明显好转"),
        ("效果 好转", "明显好转"),
        ("好转", "明显好转"),
        ("明显好转", "明显好转"),
        ("改善", "有所改善"),
        ("效果有所改善", "有所改善"),
        ("无变化", "无明显变化"),
        ("无明显变化", "无明显变化"),
        ("恶化", "有所恶化"),
        ("有所恶化", "有所恶化"),
    ],
)
def test_effects(words: str, effect: str) -> None:
    log = _parse(f"张三 谈心 聊了聊 {words}")
    assert (log.effect, log.summary) == (effect, "聊了聊")


def test_an_effect_said_with_效果_wins_over_a_bare_word() -> None:
    log = _parse("张三 谈心 好转 效果稳定 聊了聊")
    assert (log.effect, log.summary) == ("保持稳定", "好转 聊了聊")


@pytest.mark.parametrize("text", ["情绪稳定", "情况有所改善，继续关注", "成绩明显好转"])
def test_effect_words_inside_the_text_stay_text(text: str) -> None:
    log = _parse(f"张三 谈心 {text}")
    assert (log.effect, log.summary) == (None, text)


@pytest.mark.parametrize(
    ("text", "risk", "summary"),
    [
        ("张三 谈心 聊了聊 无风险", False, "聊了聊"),
        ("张三 谈心 聊了聊 无安全风险", False, "聊了聊"),
        ("张三 谈心 聊了聊 没有风险", False, "聊了聊"),
        ("张三 谈心 聊了聊 有风险", True, "聊了聊"),
        ("张三 谈心 聊了聊 有安全隐患", True, "聊了聊"),
        ("张三 谈心 该生说没有安全隐患", False, "该生说没有安全隐患"),
        ("张三 谈心 情绪低落，有安全隐患", True, "情绪低落，有安全隐患"),
        ("张三 谈心 无风险 室友反映有风险", True, "室友反映有风险"),
        ("张三 谈心 聊了聊", None, "聊了聊"),
    ],
)
def test_risk(text: str, risk: bool | None, summary: str) -> None:
    log = _parse(text)
    assert (log.risk, log.summary) == (risk, summary)


@pytest.mark.parametrize(
    ("text", "error"),
    [("张三 谈心 本周五 聊了聊", "future"), ("张三 谈心 2月30日 聊了聊", "unparsed")],
)
def test_an_unusable_time_is_reported(text: str, error: str) -> None:
    log = _parse(text)
    assert (log.occurred_at, log.when_error, log.summary) == (None, error, "聊了聊")


def test_a_time_inside_the_text_is_taken_out() -> None:
    log = _parse("张三 谈心 昨天，在宿舍聊了学业。")
    assert (log.occurred_at, log.summary) == (YESTERDAY_NOON, "在宿舍聊了学业。")


def test_a_student_named_like_a_day_is_the_student() -> None:
    zhou = StudentRef(id=9, name="周三", code="2023009", class_name=None)
    log = _parse("周三 谈心 昨天 聊了聊", students=(zhou,))
    assert (log.student, log.occurred_at, log.summary) == (zhou, YESTERDAY_NOON, "聊了聊")


WORDS = ("张三", "李四", "2023001", "计科2301", "谈心", "电话", "线上", "宿舍", "效果", "稳定")
MORE_WORDS = ("效果稳定", "无风险", "有风险", "昨天", "下午3点", "(", "（", "，", "\u3000", " ")
TOKENS = st.sampled_from((*WORDS, *MORE_WORDS))


@settings(deadline=None)
@given(
    text=st.one_of(st.text(max_size=60), st.lists(TOKENS, max_size=10).map(" ".join)),
    kinds=st.sampled_from([STAFF_KINDS, PEER_KINDS, ()]),
)
def test_parse_quick_log_never_raises(text: str, kinds: tuple[str, ...]) -> None:
    log = _parse(text, students=SAME_NAME, kinds=kinds)
    assert log.kind is None or log.kind in kinds
    assert log.occurred_at is None or log.when_error is None


def test_the_shorthand_names_only_kinds_and_effects_the_kinds_file_has() -> None:
    """The kinds and the effect scale live in storage/data/visit_kinds.toml: renaming one
    there must not leave the parser offering the old name."""
    assert set(KIND_SHORTHAND) <= {kind.name for kind in visit_kinds()}
    assert set(EFFECT_SHORTHAND) <= set(effects())


@pytest.mark.parametrize("kind", [kind.name for kind in visit_kinds()])
def test_every_kind_of_the_kinds_file_is_read_by_its_name(kind: str) -> None:
    log = _parse(f"张三 {kind} 聊了聊近况", kinds=tuple(k.name for k in visit_kinds()))

    assert (log.kind, log.summary) == (kind, "聊了聊近况")


@pytest.mark.parametrize("effect", effects())
def test_every_effect_of_the_kinds_file_is_read_by_its_name(effect: str) -> None:
    log = _parse(f"张三 谈心 聊了聊近况 效果：{effect}")

    assert (log.effect, log.summary) == (effect, "聊了聊近况")
