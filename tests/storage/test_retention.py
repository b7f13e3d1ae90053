"""Retention (storage/retention.py): who is due, and what archiving removes and keeps."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.care.visits import assigned_students
from storage.db import session_scope
from storage.messaging.outbox import enqueue
from storage.models import (
    Assignment,
    AuditEntry,
    MessengerAccount,
    OutboxMessage,
    OutboxStatus,
    Person,
    StudentCategory,
    VisitLog,
)
from storage.outreach.audience import Filters, Scope, resolve
from storage.people.identify import AccountMatch, identify
from storage.retention import archive, due_students, last_archived_year
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student
from tests.storage.test_crypto import _one_of_each
from tests.storage.test_rotation import _values

NOW = datetime(2026, 9, 1, 2, tzinfo=UTC)
PLUMBING = {  # encrypted values that are not about the archived student
    ("api_token", "token"),
    ("pending_inbound", "payload"),
    ("conversation", "data"),  # the staff member's form
    ("survey", "audience"),
    ("broadcast", "content"),
    ("broadcast", "audience"),
    ("outbox", "payload"),  # a message to the staff member
}


@pytest.mark.parametrize(
    ("today", "year"),
    [(date(2026, 8, 31), 2020), (date(2026, 9, 1), 2021), (date(2027, 1, 5), 2021)],
)
def test_students_are_due_from_1_september_of_graduation_year_plus_n(
    today: date, year: int
) -> None:
    assert last_archived_year(today, years=5) == year


async def _archived_world(session: AsyncSession, clock: FakeClock) -> tuple[Person, Person, Person]:
    """The old graduate with a row in every table with encrypted columns, a category, a team
    seat, an account and a message sent to them; a recent graduate; their mentor."""
    rows = await _one_of_each(session, clock)
    old = next(r for r in rows if isinstance(r, Person) and r.kind == "student")
    mentor = await make_staff(session, roles=("academic_mentor",), wecom="mentor1")
    recent = await make_student(
        session, phone="13900000001", categories=("orphan",), team={"academic_mentor": mentor}
    )
    old.graduation_year, recent.graduation_year = 2021, 2022
    assert old.id and mentor.id
    session.add(StudentCategory(student_id=old.id, category_code="orphan"))
    session.add(
        MessengerAccount(person_id=old.id, channel="wecom", account="old1", account_key="old1")
    )
    await session.flush()
    session.add(Assignment(student_id=old.id, role="academic_mentor", mentor_id=mentor.id))
    await enqueue(
        session,
        channel="wecom",
        person_id=old.id,
        recipient="old1",
        payload={"kind": "text", "text": "MARKER_to_student"},
        idempotency_key="to-old",
        now=clock.now(),
    )
    mark_sent = update(OutboxMessage).values(status=OutboxStatus.SENT)
    await session.exec(mark_sent.where(col(OutboxMessage.idempotency_key) == "to-old"))  # type: ignore[call-overload]
    await session.commit()
    return old, recent, mentor


async def test_archiving_removes_what_is_sensitive_and_keeps_the_counts(
    engine: AsyncEngine,
    session: AsyncSession,
    sessions: object,
    clock: FakeClock,
    database_url: str,
) -> None:
    old, recent, mentor = await _archived_world(session, clock)
    old_id, old_code, old_name = old.id, old.code, old.name
    recent_id, recent_code, mentor_id = recent.id, recent.code, mentor.id
    logs_before = await _count(session, VisitLog)
    due = await due_students(session, today=NOW.date(), years=5)
    assert [(s.code, s.graduation_year) for s in due] == [(old.code, 2021)]

    async with session_scope(sessions) as scope:  # type: ignore[arg-type]
        await archive(scope, due[0], now=NOW)

    values = await _values(database_url, key=DATA_KEY)  # all still decrypt
    left = {(table, column) for (table, column, _), value in values.items() if "MARKER" in value}
    assert left == PLUMBING
    await session.commit()  # a new snapshot (SQLite WAL keeps the old one per transaction)
    session.expire_all()
    stored = await session.get(Person, old_id)
    assert stored and stored.archived_at == NOW and stored.phone is None
    assert (stored.code, stored.name, stored.graduation_year) == (old_code, old_name, 2021)
    assert (await session.get(Person, recent_id)).phone == "13900000001"  # type: ignore[union-attr]
    assert await _count(session, VisitLog) == logs_before  # past contacts still count
    assert await _count(session, StudentCategory) == 1  # the recent graduate's
    assert [p.code for p, _ in await assigned_students(session, mentor_id)] == [recent_code]
    assert await identify(session, channel="wecom", account="old1") is None
    by_code = AccountMatch.ROSTER_CODE
    assert await identify(session, channel="simulator", account=old_code, match=by_code) is None
    assert await identify(session, channel="simulator", account=recent_code, match=by_code)
    outbox = (await session.exec(select(OutboxMessage.person_id))).all()  # type: ignore[call-overload]
    assert old_id not in [row[0] for row in outbox]
    audit = (await session.exec(select(AuditEntry.action, AuditEntry.subject_id))).all()  # type: ignore[call-overload]
    assert [tuple(row) for row in audit] == [("retention_archive", old_id)]
    assert await due_students(session, today=NOW.date(), years=5) == []
    alumni = Filters(graduating_years=(2021, 2022))  # a follow-up survey of graduates
    simulator = {"simulator": by_code}  # reaches everyone on the roster by code
    audience = await resolve(
        session, alumni, within=Scope(everyone=True), topic="jobs", channels=simulator, now=NOW
    )
    assert audience.recipients == [recent_id]


async def _count(session: AsyncSession, model: type[SQLModel]) -> int:
    found = await session.exec(select(func.count()).select_from(model))  # type: ignore[call-overload]
    return int(found.one()[0])
