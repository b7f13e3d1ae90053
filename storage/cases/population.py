"""Who is in care over a period, as the statistics and the ledger both count it: one rule,
so that 统计 and 导出台账 for the same semester and college agree student for student.

A student is in care over [start, end) when a category was given to them before `end` and
their case file (if they have one yet: the roster import gives categories, the file opens at
the first edit) was not closed before `start`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, or_, select

from storage.cases.files import CLOSED
from storage.models import CaseFile, Person, StudentCategory

_PERSON = Person.__table__.c  # type: ignore[attr-defined]
_CASE = CaseFile.__table__.c  # type: ignore[attr-defined]
_HAS = StudentCategory.__table__.c  # type: ignore[attr-defined]


def given_before(end: datetime) -> Any:
    """A category that counts for a period ending at `end` (no date: given at import)."""
    return or_(_HAS.since.is_(None), _HAS.since < end)


def in_care(start: datetime, end: datetime, college: str | None) -> Select[Any]:
    """Ids of the students in care over [start, end), in one college or the school (None)."""
    closed = exists().where(
        _CASE.student_id == _PERSON.id, _CASE.status == CLOSED, _CASE.closed_at < start
    )
    query = (
        select(_PERSON.id)
        .where(exists().where(_HAS.student_id == _PERSON.id, given_before(end)))
        .where(~closed)
    )
    if college is not None:
        query = query.where(_PERSON.college == college)
    return query


def memberships(start: datetime, end: datetime, college: str | None) -> Select[Any]:
    """(student id, category code) of every category counted for those students."""
    ids = in_care(start, end, college)
    return select(_HAS.student_id, _HAS.category_code).where(
        _HAS.student_id.in_(ids), given_before(end)
    )
