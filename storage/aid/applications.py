"""Aid applications (申请补助) and their decisions, help requests (求助) and concern reports
(上报): stored encrypted, read by the teacher they were routed to; decisions are kept for the
case file and the ledger's 帮扶措施."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AidApplication, AidStatus, ConcernReport, HelpRequest


async def add_application(session: AsyncSession, application: AidApplication) -> AidApplication:
    session.add(application)
    await session.flush()
    return application


async def get_application(session: AsyncSession, application_id: int) -> AidApplication | None:
    return await session.get(AidApplication, application_id)


async def decide(
    session: AsyncSession,
    application: AidApplication,
    *,
    approved: bool,
    note: str | None,
    by: int,
    now: datetime,
) -> None:
    """Record the decision; the caller checks that it was still pending."""
    application.status = AidStatus.APPROVED if approved else AidStatus.DECLINED
    application.note = note
    application.decided_by = by
    application.decided_at = now
    session.add(application)
    await session.flush()


async def decisions_for(session: AsyncSession, student_id: int) -> list[AidApplication]:
    """A student's decided applications, oldest first (for the case file and the ledger)."""
    query = (
        select(AidApplication)
        .where(
            col(AidApplication.student_id) == student_id,
            col(AidApplication.status) != AidStatus.PENDING,
        )
        .order_by(col(AidApplication.decided_at), col(AidApplication.id))
    )
    return list((await session.exec(query)).all())


async def add_help_request(session: AsyncSession, request: HelpRequest) -> HelpRequest:
    session.add(request)
    await session.flush()
    return request


async def add_concern_report(session: AsyncSession, report: ConcernReport) -> ConcernReport:
    session.add(report)
    await session.flush()
    return report
