"""The statistics' reads of the work around the care record: risk alerts, aid applications,
notices and their receipts, employment intention and job applications. Runs on the reader."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    AidApplication,
    Alert,
    Broadcast,
    BroadcastDelivery,
    BroadcastStatus,
    JobApplication,
    OutboxMessage,
    OutboxStatus,
    Person,
    Survey,
    SurveyAnswer,
)
from storage.reports.stats_model import Alerts, Stats, StatsScope
from storage.reports.stats_queries import rows, special

_PERSON = Person.__table__.c  # type: ignore[attr-defined]
_ALERT = Alert.__table__.c  # type: ignore[attr-defined]
_AID = AidApplication.__table__.c  # type: ignore[attr-defined]
_NOTICE = Broadcast.__table__.c  # type: ignore[attr-defined]
_DELIVERY = BroadcastDelivery.__table__.c  # type: ignore[attr-defined]
_OUTBOX = OutboxMessage.__table__.c  # type: ignore[attr-defined]
_SURVEY = Survey.__table__.c  # type: ignore[attr-defined]
_ANSWER = SurveyAnswer.__table__.c  # type: ignore[attr-defined]
_APPLIED = JobApplication.__table__.c  # type: ignore[attr-defined]
_SENT = (BroadcastStatus.QUEUED, BroadcastStatus.RECALLED)
HOUR = 3600.0


def _in_range(column: Any, scope: StatsScope) -> Any:
    return and_(column >= scope.start, column < scope.end)


def _of_college(person_id: Any, scope: StatsScope) -> list[Any]:
    if scope.college is None:
        return []
    return [person_id.in_(select(_PERSON.id).where(_PERSON.college == scope.college))]


async def alerts(session: AsyncSession, scope: StatsScope) -> Alerts:
    """Risk alerts raised in the range about the scope's students; handling time in hours."""
    query = select(_ALERT.created_at, _ALERT.acknowledged_at).where(
        _in_range(_ALERT.created_at, scope), *_of_college(_ALERT.student_id, scope)
    )
    found = await rows(session, query)
    hours = [(done - raised).total_seconds() / HOUR for raised, done in found if done is not None]
    mean = sum(hours) / len(hours) if hours else None
    return Alerts(len(found), len(hours), mean, max(hours) if hours else None)


async def fill_aid(session: AsyncSession, stats: Stats) -> None:
    """Aid applications made in the range, by status, and how many students applied."""
    scope = stats.scope
    query = select(_AID.student_id, _AID.status).where(
        _in_range(_AID.created_at, scope), *_of_college(_AID.student_id, scope)
    )
    statuses: dict[str, int] = {"pending": 0, "approved": 0, "declined": 0}
    students: set[int] = set()
    for student_id, status in await rows(session, query):
        statuses[status] = statuses.get(status, 0) + 1
        students.add(student_id)
    stats.aid, stats.aid_students = statuses, len(students)


async def fill_notices(session: AsyncSession, stats: Stats) -> None:
    """Notices queued in the range: recipients in scope, how many it reached (sent), read, and
    the receipts asked for and given."""
    scope = stats.scope
    query = (
        select(
            _DELIVERY.broadcast_id,
            _NOTICE.needs_receipt,
            _OUTBOX.status,
            _DELIVERY.read_at,
            _DELIVERY.confirmed_at,
        )
        .join(Broadcast.__table__, _NOTICE.id == _DELIVERY.broadcast_id)  # type: ignore[attr-defined]
        .outerjoin(OutboxMessage.__table__, _OUTBOX.id == _DELIVERY.outbox_id)  # type: ignore[attr-defined]
        .where(_NOTICE.status.in_(_SENT), _in_range(_NOTICE.queued_at, scope))
        .where(*_of_college(_DELIVERY.person_id, scope))
    )
    found = await rows(session, query)
    stats.notices = len({row[0] for row in found})
    stats.notice_recipients = sum(1 for row in found if row[2] == OutboxStatus.SENT)
    stats.notice_read = sum(1 for row in found if row[3] is not None or row[4] is not None)
    stats.receipts_asked = sum(1 for row in found if row[1])
    stats.receipts_given = sum(1 for row in found if row[1] and row[4] is not None)


async def fill_careers(
    session: AsyncSession, stats: Stats, *, year: int, survey: str, question: str
) -> None:
    """Graduating special students (class of `year`): their latest answer to the
    employment-intention survey's `question`, and their job applications in the range."""
    scope = stats.scope
    graduating = special(scope).where(_PERSON.graduation_year == year)
    ids = {row[0] for row in await rows(session, graduating)}
    stats.graduating_year, stats.graduating = year, len(ids)
    answers = (
        select(_ANSWER.person_id, _ANSWER.choice)
        .join(Survey.__table__, _SURVEY.id == _ANSWER.survey_id)  # type: ignore[attr-defined]
        .where(_SURVEY.kind == survey, _ANSWER.question == question)
        .where(_ANSWER.person_id.in_(graduating), _ANSWER.choice.is_not(None))
        .order_by(_ANSWER.survey_id)
    )
    latest = {person: choice for person, choice in await rows(session, answers)}
    intention: dict[str, int] = {}
    for choice in latest.values():
        intention[choice] = intention.get(choice, 0) + 1
    stats.intention, stats.intention_answered = intention, len(latest)
    applied = select(_APPLIED.student_id, func.count()).where(
        _APPLIED.student_id.in_(graduating), _in_range(_APPLIED.created_at, scope)
    )
    counts = await rows(session, applied.group_by(_APPLIED.student_id))
    stats.job_applicants = len(counts)
    stats.job_applications = sum(int(count) for _, count in counts)
