"""How a mark becomes pass/fail and grade points: the one mapping every grade goes through.

A score (成绩, 0-100) passes at 60 and earns points on the common 4.0 scale (教育部 standard
table): 90-100 → 4.0, 85 → 3.7, 82 → 3.3, 78 → 3.0, 75 → 2.7, 72 → 2.3, 68 → 2.0, 64 → 1.5,
60 → 1.0, below 60 → 0. A grade (等级) counts as the score in the middle of its band: 优/A as
95, 良/B as 85, 中/C as 75, 及格/D as 65; 不及格/E/F fails with 0 points.
"""

from __future__ import annotations

from dataclasses import dataclass

PASS_SCORE = 60.0
TOP_SCORE = 100.0
POINTS: tuple[tuple[float, float], ...] = (
    (90, 4.0),
    (85, 3.7),
    (82, 3.3),
    (78, 3.0),
    (75, 2.7),
    (72, 2.3),
    (68, 2.0),
    (64, 1.5),
    (60, 1.0),
)
"""(lowest score, points), highest band first."""
LETTER_SCORES: dict[str, float] = {
    "优": 95,
    "优秀": 95,
    "A": 95,
    "良": 85,
    "良好": 85,
    "B": 85,
    "中": 75,
    "中等": 75,
    "C": 75,
    "及格": 65,
    "D": 65,
    "不及格": 0,
    "E": 0,
    "F": 0,
}
"""Each 等级 spelling → the score it counts as."""
LETTERS = ("优", "良", "中", "及格", "不及格", "A", "B", "C", "D", "F")
"""The spellings named to someone who wrote an unknown one."""


@dataclass(frozen=True, slots=True)
class Mark:
    passed: bool
    points: float


def score_points(score: float) -> float:
    """Grade points of a 0-100 score (0 below 60)."""
    return next((points for lowest, points in POINTS if score >= lowest), 0.0)


def mark_of_score(score: float) -> Mark:
    return Mark(passed=score >= PASS_SCORE, points=score_points(score))


def letter_key(raw: str) -> str:
    """A 等级 as looked up: stripped, Latin letters upper-cased (a+ and A- count as A)."""
    return raw.strip().upper().rstrip("+-")


def mark_of_letter(raw: str) -> Mark | None:
    """The mark of a 等级, or None when it is no grade we know."""
    score = LETTER_SCORES.get(letter_key(raw))
    return None if score is None else mark_of_score(score)
