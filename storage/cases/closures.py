"""Closing a case file (建议撤销建档 → 批准 / 驳回), reopening it (恢复建档), and the bot's one
suggestion to close it after a run of good effect assessments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.cases.files import CLOSED, OPEN, ensure_file
from storage.models import CaseClosure, CaseFile, VisitLog

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


async def pending_for(session: AsyncSession, student_id: int) -> CaseClosure | None:
    query = (
        select(CaseClosure)
        .where(CaseClosure.student_id == student_id, CaseClosure.status == PENDING)
        .order_by(col(CaseClosure.id))
    )
    return (await session.exec(query)).first()


async def propose(
    session: AsyncSession, student_id: int, *, proposer_id: int, reason: str, now: datetime
) -> CaseClosure:
    closure = CaseClosure(
        student_id=student_id, proposer_id=proposer_id, reason=reason, created_at=now
    )
    session.add(closure)
    await session.flush()
    return closure


async def get(session: AsyncSession, closure_id: int) -> CaseClosure | None:
    return await session.get(CaseClosure, closure_id)


async def decide(
    session: AsyncSession,
    closure: CaseClosure,
    *,
    approved: bool,
    by: int,
    note: str | None,
    now: datetime,
) -> bool:
    """Record the decision; an approval closes the student's file (opened now if it had none).
    False when the proposal was no longer pending (decided at the same moment by another)."""
    claim = (
        update(CaseClosure)
        .where(col(CaseClosure.id) == closure.id, col(CaseClosure.status) == PENDING)
        .values(status=APPROVED if approved else REJECTED, decided_by=by, decided_at=now)
    )
    result = await session.exec(claim)
    if result.rowcount != 1:
        return False
    await session.refresh(closure)
    closure.decision_note = note
    session.add(closure)
    if approved:
        case = await ensure_file(session, closure.student_id, now=now)
        case.status, case.closed_at = CLOSED, now
        case.updated_at, case.updated_by = now, by
        session.add(case)
    await session.flush()
    return True


async def reopen(session: AsyncSession, case: CaseFile, *, by: int, now: datetime) -> None:
    """Open the file again; the suggestion to close may come again."""
    case.status, case.closed_at, case.close_suggested = OPEN, None, False
    case.updated_at, case.updated_by = now, by
    session.add(case)
    await session.flush()


async def recent_effects(
    session: AsyncSession, student_id: int, *, limit: int
) -> list[tuple[datetime, str | None]]:
    """The student's latest effect assessments, newest first: (when the contact was, effect)."""
    query = (
        select(VisitLog.occurred_at, VisitLog.effect)
        .where(VisitLog.student_id == student_id)
        .order_by(col(VisitLog.occurred_at).desc(), col(VisitLog.id).desc())
        .limit(limit)
    )
    return [(at, effect) for at, effect in (await session.exec(query)).all()]


async def mark_suggested(session: AsyncSession, case: CaseFile) -> bool:
    """Set close_suggested once; False when it was already set (nothing to send again)."""
    if case.close_suggested:
        return False
    case.close_suggested = True
    session.add(case)
    await session.flush()
    return True
