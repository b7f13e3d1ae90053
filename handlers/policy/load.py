"""Load and validate the policy file (cadence rules, calendar, schedule, escalation).

`load_policy(None)` reads the shipped storage/data/policy.toml; a path (CAREBOT_POLICY_FILE)
replaces it entirely. Every problem is collected and raised together as a PolicyError whose
lines read `<where>：<what is wrong>` in Chinese, where `<where>` names the table as the file
spells it with [[array]] entries counted from 1: `rule[2].cadence："times" 应是正整数…`.
"""

from __future__ import annotations

from importlib import resources
from itertools import pairwise
from pathlib import Path

from handlers.policy.academic import read_academic_warning
from handlers.policy.cases import read_case_file
from handlers.policy.model import (
    WEEKLY_REPORT_KIND,
    Cadence,
    CalendarOverrides,
    DateRange,
    Escalation,
    KeyPeriods,
    Per,
    Policy,
    PolicyError,
    QuietHours,
    Responsible,
    Rule,
    Schedule,
    Seat,
    Semester,
    StudentScope,
)
from handlers.policy.psych import read_psych
from handlers.policy.read import Table
from handlers.policy.sections import (
    Vocabulary,
    dates_readable,
    read_calendar,
    read_escalation,
    read_key_periods,
    read_rule,
    read_schedule,
    read_semester,
)
from handlers.policy.text import load_toml, read_text

__all__ = [
    "WEEKLY_REPORT_KIND",
    "Cadence",
    "CalendarOverrides",
    "DateRange",
    "Escalation",
    "KeyPeriods",
    "Per",
    "Policy",
    "PolicyError",
    "QuietHours",
    "Responsible",
    "Rule",
    "Schedule",
    "Seat",
    "Semester",
    "StudentScope",
    "load_policy",
    "parse_policy",
    "vocabulary",
]

TOP_KEYS = (
    "rule",
    "key_periods",
    "semester",
    "schedule",
    "escalation",
    "calendar",
    "psych",
    "case_file",
    "academic_warning",
)


def load_policy(path: Path | None = None) -> Policy:
    """The policy from `path`, or the shipped defaults when None; PolicyError if invalid."""
    if path is None:
        text = resources.files("storage").joinpath("data/policy.toml").read_text("utf-8")
        return parse_policy(text, source="storage/data/policy.toml")
    problems: list[str] = []
    content = read_text(path, problems)
    if content is None:
        raise PolicyError(problems)
    return parse_policy(content, source=str(path))


def parse_policy(text: str, *, source: str = "", words: Vocabulary | None = None) -> Policy:
    """Validate TOML text into a Policy; `words` defaults to the shipped kinds and categories;
    `source` names the file in problems about its text ("" for "the policy file")."""
    problems: list[str] = []
    data = load_toml(text, source=source, problems=problems)
    if data is None:
        raise PolicyError(problems)
    root = Table(data, "", problems)
    root.allow(TOP_KEYS)
    policy = _read(root, words or vocabulary())
    if problems:
        raise PolicyError(problems)
    return policy


def _read(root: Table, words: Vocabulary) -> Policy:
    rule_tables = root.tables("rule")
    rules = tuple(read_rule(table, words) for table in rule_tables)
    _check_unique_ids(rule_tables, rules)
    semester_tables = root.tables("semester")
    if not semester_tables and isinstance(root.data.get("semester", []), list):
        root.problem("no_semester")
    semesters = [(table, read_semester(table)) for table in semester_tables]
    _check_semesters(semesters)
    return Policy(
        rules=rules,
        semesters=tuple(sorted((s for _, s in semesters), key=lambda s: s.start)),
        key_periods=read_key_periods(root.table("key_periods"), words),
        schedule=read_schedule(root.table("schedule")),
        escalation=read_escalation(root.table("escalation")),
        calendar=read_calendar(root.table("calendar")),
        psych=read_psych(root.table("psych")),
        case_file=read_case_file(root.table("case_file")),
        academic_warning=read_academic_warning(root.table("academic_warning")),
    )


def vocabulary() -> Vocabulary:
    """The visit kinds (visit_kinds.toml) and category codes (categories.toml) we ship."""
    from storage.care.kinds import visit_kinds
    from storage.people.categories import load_categories

    return Vocabulary(
        kinds=tuple(kind.name for kind in visit_kinds()),
        categories={category.code: category.name for category in load_categories()},
    )


def _check_unique_ids(tables: list[Table], rules: tuple[Rule, ...]) -> None:
    first: dict[str, str] = {}
    for table, rule in zip(tables, rules, strict=True):
        if rule.id in first:
            table.problem("duplicate", name="id", value=rule.id, other=first[rule.id])
        first.setdefault(rule.id, table.where)


def _check_semesters(semesters: list[tuple[Table, Semester]]) -> None:
    """Names are unique; a semester (or its vacations) never runs into the next one."""
    names: dict[str, str] = {}
    for table, semester in semesters:
        if semester.name in names:
            other = names[semester.name]
            table.problem("duplicate", name="name", value=semester.name, other=other)
        names.setdefault(semester.name, table.where)
    dated = [(t, s) for t, s in semesters if dates_readable(t) and s.start < s.end]
    ordered = sorted(dated, key=lambda pair: pair[1].start)
    for (table, semester), (next_table, later) in pairwise(ordered):
        if semester.end >= later.start:
            next_table.problem(
                "semesters_overlap", later=later, earlier=semester, other=table.where
            )
        elif any(vacation.end >= later.start for vacation in semester.vacations):
            table.problem(
                "vacation_runs_into", semester=semester, later=later, other=next_table.where
            )
