"""`forms.apply` on its own: pure, no database — each universal word, hints after a miss,
skip, back (also after 修改 N), the confirmation, and which choice lists an input needs."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.conversation import forms
from handlers.conversation.forms import CONFIRM, Answer, State, Transition
from handlers.envelopes import Button
from tests.handlers.conversation.tiny_form import CHOICES, FORM, NOW, STAMPED, TZ

RESCUE = "可以回复序号或点下面的按钮"
TO_CONFIRM = ("谈心", "跳过", "办公室", "无")


def opened(**prefill: tuple[Any, str]) -> Transition:
    return forms.begin(FORM, State.prefilled(prefill), choices=CHOICES, now=NOW, tz=TZ)


def say(moved: Transition, text: str = "", button: str | None = None) -> Transition:
    assert moved.step is not None, "the form is over"
    answer = Answer(text, button)
    return forms.apply(
        FORM, moved.state, step=moved.step, answer=answer, choices=CHOICES, now=NOW, tz=TZ
    )


def script(*lines: str, start: Transition | None = None) -> Transition:
    moved = start or opened()
    for line in lines:
        moved = say(moved, line)
    return moved


def words(moved: Transition) -> str:
    return "\n".join(reply.text for reply in moved.replies)


def test_begin_introduces_the_form_and_asks_the_first_missing_question() -> None:
    moved = opened(kind=("走访", "宿舍走访"))
    assert (moved.outcome, moved.step) == ("saved", "when")
    assert words(moved).startswith("好的，我们来填写帮扶记录") and "是什么时候？" in words(moved)
    assert moved.state.history == [] and moved.state.labels == {"kind": "宿舍走访"}


def test_begin_with_everything_known_shows_the_confirmation_without_an_introduction() -> None:
    moved = opened(
        kind=("走访", "宿舍走访"), when=("t", "刚才"), place=("操场", "操场"), risk=(False, "无")
    )
    assert (moved.outcome, moved.step) == ("saved", CONFIRM)
    assert words(moved).startswith("请核对帮扶记录：") and "好的" not in words(moved)


@pytest.mark.parametrize("lines", [(), ("谈心",), TO_CONFIRM, (*TO_CONFIRM, "修改 2")])
def test_cancel_drops_the_draft_at_any_step(lines: tuple[str, ...]) -> None:
    before = script(*lines)
    moved = say(before, "取消")
    assert (moved.outcome, moved.step) == ("cancelled", None)
    assert moved.dropped and not moved.finished
    assert words(moved) == "已取消，这条帮扶记录没有保存。"


def test_back_at_the_first_question_keeps_the_draft_and_asks_again() -> None:
    moved = say(opened(), "上一步")
    assert (moved.outcome, moved.step, moved.state) == ("kept", "kind", State())
    assert words(moved).startswith("已经是第一个问题了。") and "这次是哪种帮扶？" in words(moved)


def test_back_forgets_the_previous_answer_and_asks_it_again() -> None:
    moved = script("谈心", "家访昨天", "返回")  # a miss at the time step, then back
    assert (moved.outcome, moved.step) == ("saved", "kind")
    assert moved.state == State()
    assert "这次是哪种帮扶？" in words(moved)


def test_back_after_an_edit_skips_steps_the_edit_closed() -> None:
    edited = script("谈心", "跳过", "办公室", "有", "失眠", "修改 4", "无")
    assert edited.step == CONFIRM
    assert edited.state.history == ["kind", "when", "place", "risk", "detail", "risk"]
    at_risk = say(edited, "上一步")
    assert at_risk.step == "risk"
    moved = say(at_risk, "上一步")
    assert (moved.outcome, moved.step) == ("saved", "place")  # not detail: risk is unanswered
    assert moved.state.history == ["kind", "when"] and "place" not in moved.state.values
    assert "在哪里进行的？" in words(moved)


def test_back_never_returns_to_the_step_it_is_on() -> None:
    edited = script(*TO_CONFIRM, "修改 4")  # at risk again; the path ends with risk
    moved = say(edited, "上一步")
    assert moved.step == "place" and moved.state.history == ["kind", "when"]


def test_back_at_a_confirmation_without_a_path_shows_it_again() -> None:
    full = opened(
        kind=("走访", "宿舍走访"), when=("t", "刚才"), place=("操场", "操场"), risk=(False, "无")
    )
    moved = say(full, "上一步")
    assert (moved.outcome, moved.step, moved.state) == ("kept", CONFIRM, full.state)
    assert words(moved).startswith("已经是第一个问题了。") and "请核对帮扶记录" in words(moved)


@pytest.mark.parametrize(("lines", "confirming"), [((), False), (TO_CONFIRM, True)])
def test_help_keeps_the_draft_explains_the_words_and_asks_again(
    lines: tuple[str, ...], confirming: bool
) -> None:
    before = script(*lines)
    moved = say(before, "帮助")
    assert (moved.outcome, moved.step, moved.state) == ("kept", before.step, before.state)
    assert "上一步 —— 回到上一个问题" in words(moved)
    assert ("修改 N —— 修改第 N 项" in words(moved)) is confirming
    assert moved.replies[-1] == before.replies[-1]  # the same question (or confirmation)


def test_a_wrong_answer_is_a_miss_the_hint_and_the_question_again_then_the_rescue_card() -> None:
    first = script("家访")
    assert (first.outcome, first.step, first.state.misses) == ("saved", "kind", 1)
    assert first.replies[0].text.startswith("没有找到这个选项") and RESCUE not in words(first)
    third = script("家访", "别的", "随便")
    assert third.state.misses == 3 and RESCUE in words(third)
    assert third.replies[-1].buttons == (
        Button("form:choice:0", "谈心谈话"),
        Button("form:choice:1", "宿舍走访（到寝室）"),
    )
    answered = say(third, "1")
    assert answered.step == "when" and answered.state.misses == 0


def test_a_text_too_long_or_too_short_says_the_bounds() -> None:
    at_detail = script("谈心", "跳过", "办公室", "有")
    long = say(at_detail, "这是一段太长的描述")
    assert long.replies[0].text.startswith("风险描述最多 6 个字") and long.step == "detail"
    short = say(long, "夜")
    assert short.replies[0].text.startswith("风险描述至少需要 2 个字")
    assert short.state.misses == 2 and short.state.values == at_detail.state.values


def test_skip_takes_the_default_or_leaves_the_answer_empty() -> None:
    at_when = script("谈心")
    when = say(at_when, "跳过")
    assert when.state.values["when"] == STAMPED and when.state.labels["when"] == "刚才"
    place = say(when, "跳过")
    assert place.state.values["place"] is None and place.state.labels["place"] == "（未填）"
    assert (place.step, place.state.history) == ("risk", ["kind", "when", "place"])


def test_a_required_step_cannot_be_skipped() -> None:
    at_risk = script("谈心", "跳过", "办公室")
    moved = say(at_risk, "跳过")
    assert (moved.outcome, moved.step, moved.state) == ("kept", "risk", at_risk.state)
    assert words(moved).startswith("这一项需要填写，不能跳过哦。")


@pytest.mark.parametrize(("text", "button"), [("确认", None), ("", "form:confirm"), ("OK", None)])
def test_confirm_finishes_with_every_answer_and_leaves_the_replies_to_the_finish_action(
    text: str, button: str | None
) -> None:
    moved = say(script(*TO_CONFIRM), text, button)
    assert (moved.outcome, moved.step, moved.replies) == ("done", None, ())
    assert moved.finished and moved.dropped
    assert moved.state.values == {
        "kind": "谈心谈话",
        "when": STAMPED,
        "place": "办公室",
        "risk": False,
    }


def test_edit_n_opens_that_step_and_its_answer_comes_back_to_the_confirmation() -> None:
    edit = say(script(*TO_CONFIRM), "修改 3")
    assert (edit.outcome, edit.step) == ("saved", "place") and "在哪里进行的？" in words(edit)
    back = say(edit, "操场")
    assert back.step == CONFIRM and "3. 地点：操场" in words(back)


@pytest.mark.parametrize("word", ["跳过", "修改 0", "修改 5", "好吧"])
def test_anything_else_at_the_confirmation_keeps_it_and_says_how_to_answer(word: str) -> None:
    before = script(*TO_CONFIRM)
    moved = say(before, word)
    assert (moved.outcome, moved.step, moved.state) == ("kept", CONFIRM, before.state)
    assert words(moved).startswith("请回复「确认」保存，或「修改 1」到「修改 4」修改某一项")


def test_apply_leaves_the_state_it_was_given_as_it_was() -> None:
    before = script("谈心", "跳过", "办公室", "有")
    kept = before.state.dump()
    for line in ("失眠", "上一步", "取消", "跳过", "x" * 9):
        say(before, line)
    assert before.state.dump() == kept


@pytest.mark.parametrize(
    ("lines", "line", "needed"),
    [
        ((), "取消", set()),
        ((), "谈心", {"kind"}),
        (("谈心",), "上一步", {"kind"}),
        (("谈心", "跳过"), "上一步", set()),
        ((), "帮助", {"kind"}),
        (("谈心",), "帮助", set()),
        (TO_CONFIRM, "确认", set()),
        (TO_CONFIRM, "帮助", set()),
        (TO_CONFIRM, "修改 1", {"kind"}),
        (TO_CONFIRM, "修改 2", set()),
    ],
)
def test_an_input_needs_only_the_choice_lists_it_may_read_or_show(
    lines: tuple[str, ...], line: str, needed: set[str]
) -> None:
    before = script(*lines)
    assert before.step is not None
    found = forms.choices_needed(FORM, before.state, step=before.step, answer=Answer(line))
    assert found == needed
