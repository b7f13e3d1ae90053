"""Scheduled jobs run against the real runtime with the fake clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.runtime import open_runtime
from bot.schedule import jobs
from bot.schedule.scheduler import LOCK_NAME, build_scheduler, jobs_in_process
from bot.settings import Settings
from storage.leader import leadership
from storage.models import Alert, OutboxMessage
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student


async def test_unacknowledged_alert_reaches_the_school_admin_after_two_hours(
    engine: AsyncEngine, settings: Settings, clock: FakeClock, session: AsyncSession
) -> None:
    admin = await make_staff(session, code="T9000", roles=("school_admin",))
    student = await make_student(session, code="2023000900")
    session.add(
        Alert(
            student_id=student.id,
            source="message",
            detail="x",
            created_at=clock.now(),
            escalate_at=clock.now() + timedelta(hours=2),
        )
    )
    await session.commit()

    async with open_runtime(settings, clock=clock) as runtime:
        early = await jobs.escalate_alerts(runtime)
        clock.advance(hours=2, minutes=1)
        late = await jobs.escalate_alerts(runtime)
        again = await jobs.escalate_alerts(runtime)

    await session.rollback()
    [alert] = (await session.exec(select(Alert))).all()
    rows = (await session.exec(select(OutboxMessage))).all()
    assert (early, late, again) == (0, 1, 0)
    assert alert.level == 2 and alert.escalate_at is None
    assert [row.person_id for row in rows] == [admin.id]


async def test_scheduler_has_the_jobs_and_pickles_nothing(
    engine: AsyncEngine, settings: Settings, clock: FakeClock
) -> None:
    async with open_runtime(settings, clock=clock) as runtime:
        scheduler = build_scheduler(runtime)

    assert [job.id for job in scheduler.get_jobs()] == [
        "escalate_alerts",
        "send_scheduled_broadcasts",
        "recall_broadcasts",
        "report_broadcasts",
        "read_receipts",
        "send_digests",
        "send_admin_summaries",
        "run_semester_tasks",
        "announce_psych_events",
        "remind_aid_deadlines",
    ]


async def test_the_development_process_runs_the_jobs_unless_a_clock_leads(
    engine: AsyncEngine, settings: Settings, clock: FakeClock
) -> None:
    async with open_runtime(settings, clock=clock) as runtime:
        async with jobs_in_process(runtime) as running:
            assert running is True
        async with leadership(runtime.engine, LOCK_NAME) as clock_leads:
            assert clock_leads is True
            async with jobs_in_process(runtime) as running:
                assert running is False
