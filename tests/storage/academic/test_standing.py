"""The grade mapping, a semester's standing and its warning level, against hand-computed values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.academic.grading import mark_of_letter, mark_of_score, score_points
from storage.academic.standing import (
    Course,
    WarningThresholds,
    is_raised,
    standing_of,
    warning_level,
)
from storage.models import WarningLevel

DEFAULTS = WarningThresholds()


def course(
    code: str, credits: float, points: float, *, nature: str = "必修", retake: bool = False
) -> Course:
    return Course(code, f"课{code}", nature, credits, points > 0, points, retake)


@pytest.mark.parametrize(
    ("score", "points", "passed"),
    [(100, 4.0, True), (90, 4.0, True), (89.5, 3.7, True), (85, 3.7, True), (84, 3.3, True),
     (78, 3.0, True), (75, 2.7, True), (72, 2.3, True), (68, 2.0, True), (64, 1.5, True),
     (60, 1.0, True), (59.9, 0.0, False), (0, 0.0, False)],
)  # fmt: skip
def test_a_score_passes_at_60_and_earns_points_on_the_4_point_table(
    score: float, points: float, passed: bool
) -> None:
    assert mark_of_score(score).points == points
    assert mark_of_score(score).passed is passed


@pytest.mark.parametrize(
    ("letter", "points", "passed"),
    [("优", 4.0, True), ("A", 4.0, True), ("a+", 4.0, True), ("良", 3.7, True), ("B", 3.7, True),
     ("中", 2.7, True), ("C", 2.7, True), ("及格", 1.5, True), ("D", 1.5, True),
     ("不及格", 0.0, False), ("F", 0.0, False), ("E", 0.0, False)],
)  # fmt: skip
def test_a_letter_grade_counts_as_the_middle_of_its_band(
    letter: str, points: float, passed: bool
) -> None:
    mark = mark_of_letter(letter)
    assert mark is not None and (mark.points, mark.passed) == (points, passed)


def test_an_unknown_letter_is_no_mark() -> None:
    assert mark_of_letter("合格吧") is None


@given(st.floats(min_value=0, max_value=100), st.floats(min_value=0, max_value=100))
def test_points_never_fall_as_the_score_rises(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert score_points(low) <= score_points(high)
    assert (score_points(a) > 0) == (a >= 60)


def test_a_semester_by_hand() -> None:
    """高数 4 学分 failed (学位课), 线代 3 学分 3.3 (学位课), 英语 2 学分 failed,
    体育 1 学分 passed at 2.0."""
    standing = standing_of(
        [
            course("M1", 4, 0, nature="学位课"),
            course("M2", 3, 3.3, nature="学位课"),
            course("E1", 2, 0, retake=True),
            course("P1", 1, 2.0, nature="选修"),
        ]
    )
    assert (standing.required, standing.earned, standing.failed_credits) == (10, 4, 6)
    assert [c.code for c in standing.failed] == ["E1", "M1"]
    assert [c.code for c in standing.failed_degree] == ["M1"]
    assert [c.code for c in standing.retakes] == ["E1"]
    assert standing.degree_gpa == round((4 * 0 + 3 * 3.3) / 7, 2) == 1.41


def test_no_degree_course_means_no_degree_gpa() -> None:
    assert standing_of([course("P1", 2, 3.0)]).degree_gpa is None
    assert standing_of([]).required == 0


@pytest.mark.parametrize(
    ("failed", "degree", "level"),
    [(0, False, None), (5.5, False, None), (6, False, WarningLevel.YELLOW),
     (14.5, False, WarningLevel.YELLOW), (15, False, WarningLevel.RED),
     (2, True, WarningLevel.RED)],
)  # fmt: skip
def test_levels_at_the_default_thresholds(failed: float, degree: bool, level: str | None) -> None:
    courses = [course("X", failed, 0)] if failed else []
    if degree:
        courses = [course("D", failed, 0, nature="学位课")]
    assert warning_level(standing_of(courses), DEFAULTS) == level


def test_levels_follow_the_thresholds_given() -> None:
    strict = WarningThresholds(yellow_failed_credits=2, red_failed_credits=4,
                               red_on_failed_degree_course=False)  # fmt: skip
    degree_fail = standing_of([course("D", 3, 0, nature="学位课")])
    assert warning_level(degree_fail, strict) == WarningLevel.YELLOW
    assert warning_level(standing_of([course("X", 4, 0)]), strict) == WarningLevel.RED
    assert warning_level(standing_of([course("X", 1, 0)]), strict) is None


@given(st.lists(st.tuples(st.sampled_from([0.5, 1, 2, 3, 4]), st.booleans(), st.booleans())))
def test_credits_add_up_and_a_level_only_grows_with_failures(
    rows: list[tuple[float, bool, bool]],
) -> None:
    courses = [
        course(f"C{n}", credits, 3.0 if passed else 0, nature="学位课" if degree else "必修")
        for n, (credits, passed, degree) in enumerate(rows)
    ]
    standing = standing_of(courses)
    assert standing.earned + standing.failed_credits == pytest.approx(standing.required)
    worse = standing_of([*courses, course("Z", 3, 0)])
    level, next_level = warning_level(standing, DEFAULTS), warning_level(worse, DEFAULTS)
    assert not is_raised(level, above=next_level)


def test_raised_means_more_serious_than_what_was_told() -> None:
    assert is_raised(WarningLevel.YELLOW, above=None)
    assert is_raised(WarningLevel.RED, above=WarningLevel.YELLOW)
    assert not is_raised(WarningLevel.YELLOW, above=WarningLevel.YELLOW)
    assert not is_raised(WarningLevel.YELLOW, above=WarningLevel.RED)
    assert not is_raised(None, above=None)
