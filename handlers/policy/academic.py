"""Reading the policy file's [academic_warning] section: how many failed credits earn a 黄色
or 红色 学业预警, and whether any failed 学位课 is 红色 at once (seed 000 §三(一).2)."""

from __future__ import annotations

from dataclasses import fields

from handlers.policy.read import Table
from storage.academic.standing import WarningThresholds

ACADEMIC_WARNING_KEYS = tuple(f.name for f in fields(WarningThresholds))


def read_academic_warning(table: Table) -> WarningThresholds:
    table.allow(ACADEMIC_WARNING_KEYS)
    base = WarningThresholds()
    yellow = table.positive_int("yellow_failed_credits", base.yellow_failed_credits)
    red = table.positive_int("red_failed_credits", base.red_failed_credits)
    degree = table.boolean("red_on_failed_degree_course", base.red_on_failed_degree_course)
    if red < yellow:
        table.problem("academic_ladder", red=red, yellow=yellow)
        return base
    return WarningThresholds(yellow, red, degree)
