"""Readers for each section of the policy file; problems go to the shared list."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from itertools import pairwise

from handlers.policy.model import (
    PERS,
    SEATS,
    WEEKLY_REPORT_KIND,
    Cadence,
    CalendarOverrides,
    DateRange,
    Escalation,
    KeyPeriods,
    Responsible,
    Rule,
    Schedule,
    Seat,
    Semester,
    StudentScope,
    season_of,
)
from handlers.policy.read import Table, as_day

RESPONSIBLE: tuple[Responsible, ...] = (*SEATS, "team")
SCOPES: tuple[StudentScope, ...] = ("special", "key_attention", "graduating", "academic_warning")
RULE_KEYS = ("id", "title", "students", "responsible", "remind", "kinds", "cadence", "vacation")
SCOPE_KEYS = ("title", "students", "responsible", "remind", "kinds")
KEY_PERIOD_KEYS = (*SCOPE_KEYS, "days_before", "return_week_days", "holiday_min_days")
SEMESTER_KEYS = (
    "name",
    "start",
    "end",
    "exam_weeks",
    "vacations",
    "survey_weeks",
    "ledger_deadline",
)
LEDGER_DEADLINES = {"autumn": (10, 15), "spring": (3, 19)}
SURVEY_DAYS = 14
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Names the policy may refer to: visit kinds and category codes (code → name)."""

    kinds: tuple[str, ...]
    categories: Mapping[str, str]


def read_rule(table: Table, words: Vocabulary) -> Rule:
    table.allow(RULE_KEYS)
    rule_id = table.text("id")
    if rule_id and not _SLUG.fullmatch(rule_id):
        table.problem("slug", value=rule_id)
    students, category = _students(table, words, default=None)
    responsible, remind = _seats(table, default=None)
    return Rule(
        id=rule_id,
        title=table.text("title"),
        students=students,
        category=category,
        responsible=responsible,
        remind=remind,
        kinds=_kinds(table, (*words.kinds, WEEKLY_REPORT_KIND), default=None),
        cadence=_cadence(table),
        vacation=table.boolean("vacation", True),
    )


def read_key_periods(table: Table, words: Vocabulary) -> KeyPeriods:
    table.allow(KEY_PERIOD_KEYS)
    base = KeyPeriods()
    students, category = _students(table, words, default=base.students)
    responsible, remind = _seats(table, default=base.responsible)
    return KeyPeriods(
        title=table.text("title", base.title),
        students=students,
        category=category,
        responsible=responsible,
        remind=remind,
        kinds=_kinds(table, words.kinds, default=base.kinds),
        days_before=table.positive_int("days_before", base.days_before),
        return_week_days=table.positive_int("return_week_days", base.return_week_days),
        holiday_min_days=table.positive_int("holiday_min_days", base.holiday_min_days),
    )


def _students(
    table: Table, words: Vocabulary, *, default: StudentScope | None
) -> tuple[StudentScope, str | None]:
    raw = table.text("students", default)
    if raw.startswith("category:"):
        code = raw.removeprefix("category:").strip()
        if code not in words.categories:
            table.problem("unknown_category", value=code, known=list(words.categories))
        return "category", code
    for scope in SCOPES:
        if raw == scope:
            return scope, None
    if raw:
        table.problem("students", value=raw)
    return "special", None


def _seats(table: Table, *, default: Responsible | None) -> tuple[Responsible, Seat]:
    responsible = table.choice("responsible", RESPONSIBLE, default)
    if responsible == "team":
        return responsible, table.choice("remind", SEATS, "student_affairs")
    if table.data.get("remind", responsible) != responsible:
        table.problem("remind_differs")
    return responsible, responsible


def _kinds(
    table: Table, known: tuple[str, ...], *, default: tuple[str, ...] | None
) -> tuple[str, ...]:
    kinds = table.strings("kinds", default)
    for kind in kinds:
        if kind not in known:
            table.problem("unknown_kind", value=kind, known=list(known))
    if WEEKLY_REPORT_KIND in kinds and len(kinds) > 1:
        table.problem("weekly_combined", value=WEEKLY_REPORT_KIND)
    return kinds


def _cadence(table: Table) -> Cadence:
    if "cadence" not in table.data:
        table.problem("cadence_required")
        return Cadence(every_days=1)
    cadence = table.table("cadence")
    cadence.allow(("every_days", "times", "per"))
    if "every_days" in cadence.data:
        if "times" in cadence.data or "per" in cadence.data:
            cadence.problem("cadence_both")
        return Cadence(every_days=cadence.positive_int("every_days"))
    times = cadence.positive_int("times", 1)
    if "per" not in cadence.data:
        cadence.problem("cadence_per")
        return Cadence(times=times, per="week")
    return Cadence(times=times, per=cadence.choice("per", PERS))


def read_semester(table: Table) -> Semester:
    table.allow(SEMESTER_KEYS)
    name = table.text("name")
    mark = table.checkpoint()
    start, end = table.day("start"), table.day("end")
    survey = table.optional_range("survey_weeks")
    semester = Semester(
        name=name,
        start=start,
        end=end,
        exam_weeks=table.ranges("exam_weeks"),
        vacations=table.ranges("vacations"),
        survey_weeks=survey or DateRange(start, start + timedelta(days=SURVEY_DAYS - 1)),
        ledger_deadline=start,
    )
    if table.clean_since(mark):
        _check_semester(table, semester)
    mark = table.checkpoint()
    deadline = _ledger_deadline(table, start)
    semester = replace(semester, ledger_deadline=deadline)
    if table.clean_since(mark) and semester.start < semester.end:
        _check_deadline(table, semester)
    return semester


def dates_readable(table: Table) -> bool:
    """Whether the [[semester]] has real start and end dates (not placeholders)."""
    return as_day(table.data.get("start")) is not None and as_day(table.data.get("end")) is not None


def _ledger_deadline(table: Table, start: date) -> date:
    value = table.data.get("ledger_deadline")
    if value is None:
        month, day = LEDGER_DEADLINES[season_of(start)]
        return date(start.year, month, day)
    if (full := as_day(value)) is not None:
        return full
    match = _MONTH_DAY.fullmatch(value) if isinstance(value, str) else None
    try:
        if match:
            return date(start.year, int(match[1]), int(match[2]))
    except ValueError:
        pass
    table.problem("ledger_deadline")
    return start


def _check_semester(table: Table, semester: Semester) -> None:
    span, after = semester.span, semester.end + timedelta(days=1)
    if semester.start >= semester.end:
        table.problem("end_before_start", semester=semester)
        return
    for number, exam in enumerate(semester.exam_weeks, 1):
        if exam.start not in span or exam.end not in span:
            table.problem("outside", name="exam_weeks", number=number, days=exam, semester=semester)
    for number, vacation in enumerate(semester.vacations, 1):
        if not semester.start <= vacation.start <= after:
            table.problem("vacation_start", number=number, days=vacation, after=after)
        if any(vacation.overlaps(exam) for exam in semester.exam_weeks):
            table.problem("vacation_exam", number=number, days=vacation)
    for first, second in pairwise(semester.vacations):
        if first.overlaps(second):
            table.problem("vacations_overlap", first=first, second=second)
    survey = semester.survey_weeks
    if survey.start not in span or survey.end not in span:
        table.problem("outside", name="survey_weeks", number=None, days=survey, semester=semester)


def _check_deadline(table: Table, semester: Semester) -> None:
    if semester.ledger_deadline not in semester.span:
        table.problem("deadline_outside", semester=semester)


def read_schedule(table: Table) -> Schedule:
    table.allow(("digest_time", "quiet_hours", "working_days_only"))
    base = Schedule()
    schedule = Schedule(
        digest_time=table.clock("digest_time", base.digest_time),
        quiet_hours=table.quiet_hours("quiet_hours", base.quiet_hours),
        working_days_only=table.boolean("working_days_only", base.working_days_only),
    )
    if table.clean and schedule.digest_time in schedule.quiet_hours:
        table.problem("digest_quiet", digest=schedule.digest_time, quiet=schedule.quiet_hours)
    return schedule


def read_escalation(table: Table) -> Escalation:
    base = Escalation()
    names = tuple(f.name for f in fields(Escalation))
    table.allow(names)
    escalation = Escalation(*(table.positive_int(name, getattr(base, name)) for name in names))
    for prefix in ("", "key_attention_"):
        nudge = getattr(escalation, f"{prefix}nudge_after_days")
        summary = getattr(escalation, f"{prefix}admin_summary_after_days")
        if summary < nudge:
            table.problem("ladder", prefix=prefix, summary=summary, nudge=nudge)
    return escalation


def read_calendar(table: Table) -> CalendarOverrides:
    table.allow(("extra_holidays", "extra_workdays", "holiday_names"))
    holidays = frozenset(table.days("extra_holidays"))
    workdays = frozenset(table.days("extra_workdays"))
    for day in sorted(holidays & workdays):
        table.problem("holiday_and_workday", value=day)
    names = table.table("holiday_names")
    named: list[tuple[date, str]] = []
    for key, value in names.data.items():
        named_day = as_day(key)
        if named_day is None or named_day not in holidays:
            names.problem("holiday_name_date", name=key)
        elif not isinstance(value, str) or not value.strip():
            names.problem("holiday_name_text", name=key)
        else:
            named.append((named_day, value.strip()))
    return CalendarOverrides(holidays, workdays, tuple(sorted(named)))
