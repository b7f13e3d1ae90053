"""One student's semester from their grades: credits, failures, retakes, degree-course GPA and
the warning level it earns. Pure functions of the grades and the thresholds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storage.models import CourseNature, WarningLevel


@dataclass(frozen=True, slots=True)
class Course:
    """What the standing needs of one grade (a Grade row, or a row being imported)."""

    code: str
    name: str
    nature: str
    credits: float
    passed: bool
    points: float
    retake: bool = False

    @property
    def degree(self) -> bool:
        return self.nature == CourseNature.DEGREE


@dataclass(frozen=True, slots=True)
class Standing:
    """应修: the credits of every course taken that semester; 已获: of those passed."""

    required: float
    earned: float
    failed: tuple[Course, ...]
    retakes: tuple[Course, ...]
    degree_gpa: float | None
    """Credit-weighted grade points of the degree courses (学位课); None without any."""

    @property
    def failed_credits(self) -> float:
        return sum(course.credits for course in self.failed)

    @property
    def failed_degree(self) -> tuple[Course, ...]:
        return tuple(course for course in self.failed if course.degree)


@dataclass(frozen=True, slots=True)
class WarningThresholds:
    """The policy's [academic_warning]: 黄色 from `yellow_failed_credits` failed credits, 红色
    from `red_failed_credits` or, with `red_on_failed_degree_course`, any failed 学位课."""

    yellow_failed_credits: int = 6
    red_failed_credits: int = 15
    red_on_failed_degree_course: bool = True


LEVEL_RANK: dict[str | None, int] = {None: 0, WarningLevel.YELLOW: 1, WarningLevel.RED: 2}


def standing_of(courses: Iterable[Course]) -> Standing:
    taken = sorted(courses, key=lambda course: (course.code, course.name))
    degree = [course for course in taken if course.degree]
    degree_credits = sum(course.credits for course in degree)
    gpa = (
        round(sum(c.points * c.credits for c in degree) / degree_credits, 2)
        if degree_credits
        else None
    )
    return Standing(
        required=sum(course.credits for course in taken),
        earned=sum(course.credits for course in taken if course.passed),
        failed=tuple(course for course in taken if not course.passed),
        retakes=tuple(course for course in taken if course.retake),
        degree_gpa=gpa,
    )


def warning_level(standing: Standing, thresholds: WarningThresholds) -> WarningLevel | None:
    failed = standing.failed_credits
    if failed >= thresholds.red_failed_credits or (
        thresholds.red_on_failed_degree_course and standing.failed_degree
    ):
        return WarningLevel.RED
    if failed >= thresholds.yellow_failed_credits:
        return WarningLevel.YELLOW
    return None


def is_raised(level: str | None, *, above: str | None) -> bool:
    """Whether `level` is more serious than `above` (what the team was last told of)."""
    return LEVEL_RANK.get(level, 0) > LEVEL_RANK.get(above, 0)
