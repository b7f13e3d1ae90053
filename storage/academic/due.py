"""Which students have an open academic warning, as a condition the due evaluation adds to a
rule whose students are "academic_warning" (storage/due/tables.py's in_scope)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, exists, func, select

from storage.models import AcademicWarning


def open_warning(student_id: ColumnElement[Any], semesters: Collection[str]) -> ColumnElement[bool]:
    """The student's latest graded semester is one of `semesters` (the current and the
    previous one) and earned a warning: a later semester without one closes it."""
    model: type[Any] = AcademicWarning
    warning = cast(Table, model.__table__)
    later = warning.alias("later_warning")
    latest = (
        select(func.max(later.c.semester_start))
        .where(later.c.student_id == warning.c.student_id)  # correlated with the EXISTS
        .scalar_subquery()
    )
    return exists().where(
        warning.c.student_id == student_id,
        warning.c.semester.in_(list(semesters)),
        warning.c.level.is_not(None),
        warning.c.semester_start == latest,
    )
