"""Due and overdue contacts per (rule, student, responsible person), in one SQL statement.

The rules and items are in storage/due/rules.py, each rule's arithmetic in storage/due/plan.py
and the statement in storage/due/sql.py; this module runs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, DateTime, func
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.due.plan import Found, Moment, plan
from storage.due.rules import (
    SEATS,
    WEEKLY_REPORT,
    DueItem,
    RuleQuery,
    RuleQueryError,
    Scope,
)
from storage.due.sql import Options, Wrap, statement

__all__ = [
    "SEATS",
    "WEEKLY_REPORT",
    "DueItem",
    "RuleQuery",
    "RuleQueryError",
    "Scope",
    "Strategy",
    "due_items",
]

Strategy = Literal["auto", "seek", "scan"]


async def due_items(
    session: AsyncSession,
    rules: Sequence[RuleQuery],
    *,
    now: datetime,
    upcoming: timedelta = timedelta(0),
    person_id: int | None = None,
    strategy: Strategy = "auto",
) -> list[DueItem]:
    """Items due at `now` or overdue, plus those falling due within `upcoming`, in no
    particular order (callers sort by what they show); with `person_id`, only theirs.

    One SQL statement for all rules, whatever the number of students; contacts after `now`
    are ignored. `strategy` says how it finds contacts: "seek" looks up each student's in the
    index (fast on SQLite, and anywhere for one person's students), "scan" groups each rule's
    logs in one pass (fast on PostgreSQL; on SQLite its joins turn quadratic at scale), "auto"
    picks. Forcing one is for tests and measurements: both give the same items."""
    if now.utcoffset() is None:
        raise RuleQueryError("now must be an aware datetime")
    active = plan(rules, now=now, cutoff=now + upcoming)
    if not active:
        return []
    connection = await session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # Compiling the large statement to machine code costs more than it ever saves.
        await connection.exec_driver_sql("SET LOCAL jit = off")
    seek = strategy == "seek" or (
        strategy == "auto" and (dialect == "sqlite" or person_id is not None)
    )
    wrap, moment = _moments(dialect)
    options = Options(now=now, seek=seek, person_id=person_id, moment=wrap)
    result = await connection.execute(statement(active, options))
    # The driver's rows as they are: a hundred thousand Row objects and per-value type
    # processing would cost more than the query itself.
    rows = cast(list[Found], result.cursor.fetchall())
    result.close()
    return [active[row[0]].item(row, moment) for row in rows]


def _moments(dialect: str) -> tuple[Wrap, Moment]:
    """How datetimes leave SQL and become aware UTC datetimes, bypassing the column type.

    PostgreSQL: as timestamptz, which asyncpg already returns aware. SQLite: as the text
    SQLAlchemy stored (naive UTC, ISO 8601), parsed with an explicit offset."""
    if dialect == "postgresql":
        return _as_utc, _same
    return _unchanged, _parse_utc


def _as_utc(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.timezone("UTC", column, type_=DateTime(timezone=True))


def _unchanged(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return column


def _same(value: datetime) -> datetime:
    return value


def _parse_utc(value: str) -> datetime:
    return datetime.fromisoformat(value + "+00:00")
