"""The validated policy as frozen dataclasses (see storage/data/policy.toml for the meaning)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Literal

from storage.academic.standing import WarningThresholds

Seat = Literal["academic_mentor", "student_affairs", "peer_mentor"]
Responsible = Literal["academic_mentor", "student_affairs", "peer_mentor", "team"]
StudentScope = Literal["special", "key_attention", "graduating", "category", "academic_warning"]
Per = Literal["week", "month", "semester"]
Season = Literal["autumn", "spring"]

SEATS: tuple[Seat, ...] = ("academic_mentor", "student_affairs", "peer_mentor")
PERS: tuple[Per, ...] = ("week", "month", "semester")
WEEKLY_REPORT_KIND = "周报"
"""The one kind that is not a visit kind: satisfied by a weekly_report row."""


def season_of(start: date) -> Season:
    """Autumn semesters start in July or later; they open an academic year."""
    return "autumn" if start.month >= 7 else "spring"


class PolicyError(Exception):
    """The policy file is invalid; `problems` lists every problem, one readable line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid policy: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class DateRange:
    """Consecutive days, both ends included."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def __iter__(self) -> Iterator[date]:
        return (self.start + timedelta(days=n) for n in range(self.days))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def overlaps(self, other: DateRange) -> bool:
        return self.start <= other.end and other.start <= self.end


@dataclass(frozen=True, slots=True)
class Cadence:
    """Rolling (`every_days` set: once in any N days) or `times` per calendar `per`."""

    every_days: int | None = None
    times: int = 1
    per: Per | None = None

    @property
    def rolling(self) -> bool:
        return self.every_days is not None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    students: StudentScope
    category: str | None
    """The category code when `students` is "category", else None."""
    responsible: Responsible
    remind: Seat
    """The seat reminded: the responsible seat, or the configured one for "team"."""
    kinds: tuple[str, ...]
    cadence: Cadence
    vacation: bool = True
    """False: the rule does not apply on vacation days."""

    @property
    def counts_weekly_reports(self) -> bool:
        return WEEKLY_REPORT_KIND in self.kinds


@dataclass(frozen=True, slots=True)
class KeyPeriods:
    """Extra contact before exams and holidays and after returning (seed 001 §二.3)."""

    title: str = "重点时段谈话"
    students: StudentScope = "special"
    category: str | None = None
    responsible: Responsible = "team"
    remind: Seat = "student_affairs"
    kinds: tuple[str, ...] = ("谈心谈话", "心理疏导", "电话/线上联系")
    days_before: int = 7
    return_week_days: int = 7
    holiday_min_days: int = 3


@dataclass(frozen=True, slots=True)
class Semester:
    name: str
    start: date
    end: date
    exam_weeks: tuple[DateRange, ...]
    vacations: tuple[DateRange, ...]
    survey_weeks: DateRange
    """摸排: the first two weeks unless configured."""
    ledger_deadline: date

    @property
    def span(self) -> DateRange:
        return DateRange(self.start, self.end)

    @property
    def season(self) -> Season:
        return season_of(self.start)

    @property
    def academic_year_end(self) -> int:
        """The year the academic year ends (its graduating class)."""
        return self.start.year + 1 if self.season == "autumn" else self.start.year


@dataclass(frozen=True, slots=True)
class QuietHours:
    """No messages from `start` until `end`; wraps midnight when start > end."""

    start: time
    end: time

    def __contains__(self, moment: object) -> bool:
        if not isinstance(moment, time):
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True, slots=True)
class Schedule:
    digest_time: time = time(8, 30)
    quiet_hours: QuietHours = QuietHours(time(21, 30), time(7, 30))
    working_days_only: bool = True


@dataclass(frozen=True, slots=True)
class Escalation:
    """Days overdue before a second nudge and before the admin's weekly summary."""

    nudge_after_days: int = 3
    admin_summary_after_days: int = 7
    key_attention_nudge_after_days: int = 1
    key_attention_admin_summary_after_days: int = 3

    def nudge_days(self, *, key_attention: bool) -> int:
        return self.key_attention_nudge_after_days if key_attention else self.nudge_after_days

    def admin_summary_days(self, *, key_attention: bool) -> int:
        if key_attention:
            return self.key_attention_admin_summary_after_days
        return self.admin_summary_after_days


@dataclass(frozen=True, slots=True)
class CalendarOverrides:
    """Days that override chinesecalendar, and the only holidays for years it lacks."""

    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    holiday_names: tuple[tuple[date, str], ...] = ()
    """(date, name) pairs naming the holiday block that contains the date."""

    def holiday_name(self, day: date) -> str | None:
        return next((name for named, name in self.holiday_names if named == day), None)


@dataclass(frozen=True, slots=True)
class PsychEvent:
    """A psychological-health event held every year on one day (seed 000 §三(三).3)."""

    month: int
    day: int
    name: str = ""
    """As the policy file names it; empty: the messages name it by its date."""

    def on(self, year: int) -> date:
        return date(year, self.month, self.day)


@dataclass(frozen=True, slots=True)
class Psych:
    """Psychological support: the yearly events, how far ahead students hear of them, and
    how to book counselling (empty: the messages' own wording)."""

    events: tuple[PsychEvent, ...] = (PsychEvent(3, 20), PsychEvent(5, 25), PsychEvent(12, 5))
    announce_days_before: int = 7
    booking: str = ""

    def upcoming(self, today: date) -> list[tuple[date, PsychEvent]]:
        """Each event's next day from `today` (today included), the nearest first."""
        found = []
        for event in self.events:
            day = event.on(today.year)
            found.append((day if day >= today else event.on(today.year + 1), event))
        return sorted(found, key=lambda pair: pair[0])


@dataclass(frozen=True, slots=True)
class CaseFilePolicy:
    """When the bot suggests closing a case file: `good_run` good effect assessments
    (`good_effects`) in a row, the first at least `run_days` before the last."""

    suggest_close: bool = True
    good_run: int = 3
    run_days: int = 30
    good_effects: tuple[str, ...] = ("明显好转", "有所改善")


@dataclass(frozen=True, slots=True)
class Policy:
    rules: tuple[Rule, ...]
    semesters: tuple[Semester, ...]
    """Sorted by start date; they never overlap."""
    key_periods: KeyPeriods = KeyPeriods()
    schedule: Schedule = Schedule()
    escalation: Escalation = Escalation()
    calendar: CalendarOverrides = CalendarOverrides()
    psych: Psych = Psych()
    case_file: CaseFilePolicy = CaseFilePolicy()
    academic_warning: WarningThresholds = WarningThresholds()  # noqa: RUF009 (frozen)

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (KeyError if there is none)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)
