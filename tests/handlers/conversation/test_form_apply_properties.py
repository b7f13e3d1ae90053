"""Random inputs driven straight into `forms.apply` (no database): every draft stays valid,
the path stays consistent, nothing raises, a draft ends at most once and only by 取消 or 确认,
and the choice lists `choices_needed` names are all that apply reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.conversation import forms
from handlers.conversation.answers import CANCEL, CONFIRM, word_of
from handlers.conversation.forms import Answer, Choice, Form, State, Step, Transition
from tests.handlers.conversation.tiny_form import FORM, KINDS, NOW, TZ, make_form

EFFECTS = [Choice(f"e{i}", f"效果{i}") for i in range(1, 4)]


def _visiting(values: Mapping[str, Any]) -> bool:
    return values.get("kind") == "走访"


TINY = make_form(KINDS)
# A wider form: a second choice list, and a choice step that only some answers open.
WIDE = Form(
    name="wide",
    title="visit_title",
    steps=(
        *FORM.steps[:2],
        Step("effect", "choice", "ask_effect", "效果评估", applies=_visiting),
        *FORM.steps[2:],
        Step("note", "choice", "ask_effect", "备注", optional=True),
    ),
    choices=FORM.choices,
    complete=FORM.complete,
)
LISTS: dict[str, dict[str, list[Choice]]] = {
    "tiny": {"kind": KINDS},
    "wide": {"kind": KINDS, "effect": EFFECTS, "note": EFFECTS[:2]},
}
PREFILL = {
    "kind": ("走访", "宿舍走访"),
    "when": ("2026-11-25T10:00:00+08:00", "昨天"),
    "place": ("操场", "操场"),
    "risk": (True, "有"),
    "effect": ("e1", "效果1"),
}
WORDS = (
    *("取消", "上一步", "返回", "跳过", "帮助", "?", "确认", "好", "修改 1", "修改 3", "修改 4"),
    *("修改 6", "修改 9", "1", "2", "3", "7", "谈心", "走访", "宿舍", "有", "无", "是的"),
    *("昨天下午", "明天", "办公室", "失眠了", "", "a" * 12, "夜", "效果2", "🙂", "修改 0"),
)
BUTTONS = (*(f"form:choice:{n}" for n in range(4)), "form:confirm", "取消", "visit:start:1")
ANSWERS = st.one_of(
    st.sampled_from(WORDS).map(Answer),
    st.sampled_from(BUTTONS).map(lambda key: Answer("", key)),
)
# Runs of a few inputs that reach the corners of the path: an edit that closes or opens a
# step, then a way back over it.
EDITS = st.tuples(
    st.sampled_from([f"修改 {n}" for n in range(3, 7)]),
    st.sampled_from(["无", "有", "失眠了", "1"]),
    st.sampled_from(["上一步", "返回", "确认"]),
    st.sampled_from(["上一步", "跳过", "1"]),
).map(lambda words: [Answer(word) for word in words])
INPUTS = st.lists(
    st.one_of(ANSWERS.map(lambda answer: [answer]), EDITS), min_size=1, max_size=12
).map(lambda runs: [answer for run in runs for answer in run])
GOOD = {
    "kind": "1",
    "when": "昨天下午",
    "effect": "2",
    "place": "操场",
    "risk": "有",
    "detail": "失眠了",
    "note": "跳过",
}
PROPERTY = settings(max_examples=300, deadline=None)


def _apply(form: Form, moved: Transition, answer: Answer, lists: Mapping[str, Any]) -> Transition:
    assert moved.step is not None
    return forms.apply(
        form, moved.state, step=moved.step, answer=answer, choices=lists, now=NOW, tz=TZ
    )


def _check_draft(form: Form, moved: Transition) -> None:
    """A draft open at a step of the form that applies (or at the confirmation, every shown
    step answered and nothing else kept); a path of the form's steps without repeats."""
    state, names = moved.state, {step.name for step in form.steps}
    assert moved.step is not None and not moved.dropped
    assert state.values.keys() == state.labels.keys() and state.values.keys() <= names
    assert set(state.history) <= names and state.misses >= 0
    assert all(a != b for a, b in zip(state.history, state.history[1:], strict=False))
    if moved.step == forms.CONFIRM:
        assert set(state.values) == {step.name for step in form.shown(state.values)}
    else:
        assert form.applies(moved.step, state.values)
    assert moved.replies, "every input that leaves the form open is answered"


def _check_step(form: Form, before: Transition, answer: Answer, after: Transition) -> None:
    lists = LISTS[form.name]
    assert before.step is not None
    needed = forms.choices_needed(form, before.state, step=before.step, answer=answer)
    loaded = {name: lists[name] for name in needed}
    assert _apply(form, before, answer, loaded) == after, "apply read a list not loaded"
    if after.outcome == "kept":
        assert (after.step, after.state) == (before.step, before.state)
    if after.step != before.step and after.step is not None:
        assert after.state.misses == 0
    if after.finished:
        assert before.step == forms.CONFIRM
        assert answer.word in CONFIRM or answer.button == "form:confirm"
    if after.outcome == "cancelled":
        assert answer.word in CANCEL


@PROPERTY
@given(
    form=st.sampled_from([TINY, WIDE]),
    known=st.sets(st.sampled_from(sorted(PREFILL))),
    inputs=INPUTS,
)
def test_random_inputs_keep_the_draft_valid_and_end_it_at_most_once(
    form: Form, known: set[str], inputs: list[Answer]
) -> None:
    names = {step.name for step in form.steps}
    prefill = {k: v for k, v in PREFILL.items() if k in known and k in names}
    lists = LISTS[form.name]
    moved = forms.begin(form, State.prefilled(prefill), choices=lists, now=NOW, tz=TZ)
    _check_draft(form, moved)
    for answer in inputs:
        given_state = moved.state.dump()
        after = _apply(form, moved, answer, lists)
        assert moved.state.dump() == given_state, "apply changed the state it was given"
        _check_step(form, moved, answer, after)
        if after.dropped:
            assert after.step is None
            return  # the wrapper deletes the draft: no input reaches it again
        _check_draft(form, after)
        moved = after


@PROPERTY
@given(inputs=st.lists(ANSWERS, max_size=25))
def test_a_form_answered_to_the_end_then_confirmed_finishes_once(inputs: list[Answer]) -> None:
    """Whatever came before (short of 取消), answering every question and confirming ends
    the form with the answers shown at the confirmation."""
    lists = LISTS["wide"]
    moved = forms.begin(WIDE, State(), choices=lists, now=NOW, tz=TZ)
    for answer in inputs:
        if answer.word in CANCEL or word_of(answer.button) in CANCEL:
            continue
        after = _apply(WIDE, moved, answer, lists)
        if after.finished:
            return
        moved = after
    for _ in WIDE.steps:  # each answer below is valid: one question at most per step
        if moved.step == forms.CONFIRM:
            break
        assert moved.step is not None
        moved = _apply(WIDE, moved, Answer(GOOD[moved.step]), lists)
    assert moved.step == forms.CONFIRM
    shown = {step.name for step in WIDE.shown(moved.state.values)}
    done = _apply(WIDE, moved, Answer("确认"), lists)
    assert done.finished and set(done.state.values) == shown
