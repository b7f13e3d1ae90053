"""The closing bookkeeping: one decision per proposal, and reopening clears the suggestion."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.cases import closures, files
from tests.fakes.roster import make_staff, make_student

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


async def test_a_proposal_is_decided_once_and_reopening_clears_the_suggestion(
    session: AsyncSession,
) -> None:
    teacher = await make_staff(session, code="T001")
    student = await make_student(session, code="S001")
    assert teacher.id and student.id
    case = await files.ensure_file(session, student.id, now=NOW)
    assert await closures.mark_suggested(session, case)
    assert not await closures.mark_suggested(session, case)
    closure = await closures.propose(
        session, student.id, proposer_id=teacher.id, reason="稳定", now=NOW
    )
    decided = await closures.decide(
        session, closure, approved=True, by=teacher.id, note=None, now=NOW
    )
    again = await closures.decide(
        session, closure, approved=False, by=teacher.id, note="晚了", now=NOW
    )
    assert (decided, again) == (True, False)
    assert (closure.status, closure.decision_note) == ("approved", None)
    assert (case.status, case.closed_at, case.close_suggested) == ("closed", NOW, True)
    await closures.reopen(session, case, by=teacher.id, now=NOW)
    assert (case.status, case.closed_at, case.close_suggested) == ("open", None, False)
    assert await closures.pending_for(session, student.id) is None
