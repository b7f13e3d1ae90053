"""A small hand-counted college for the statistics tests (on tests/fakes/care_roster.py).

Counted on 2026-11-23 09:00 (FakeClock's default), over the autumn semester 2026-09-07 …
2027-01-17. 计算机学院: six special students with full teams (categories cycling 家庭经济困难,
孤儿, 心理异常, 残疾; the first also 孤儿), one of them key attention; 机械工程学院: two orphans
with only a student-affairs teacher; an ordinary student who is not counted."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    AidApplication,
    Alert,
    Broadcast,
    BroadcastDelivery,
    JobApplication,
    JobPosting,
    OutboxMessage,
    Person,
    StudentCategory,
    Survey,
    SurveyAnswer,
    VisitLog,
)
from tests.fakes.care_roster import College, build_college
from tests.fakes.clock import SHANGHAI

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


async def build_counted(session: AsyncSession) -> College:
    college = await build_college(session, students=6, key_attention=1, other_college=2)
    s = college.students
    assert s[0].id is not None
    session.add(StudentCategory(student_id=s[0].id, category_code="orphan", since=at(9, 1)))
    await _visits(session, college)
    await _alerts_and_aid(session, college)
    await _notice(session, college)
    await _careers(session, college)
    await session.commit()
    return college


async def _log(
    session: AsyncSession, student: Person, author: Person, kind: str, when: datetime,
    effect: str | None = None,
) -> None:  # fmt: skip
    assert student.id is not None and author.id is not None
    session.add(VisitLog(student_id=student.id, author_id=author.id, kind=kind,
                         occurred_at=when, created_at=when, effect=effect))  # fmt: skip


async def _visits(session: AsyncSession, college: College) -> None:
    s, counsellor, mentor, peer = college.students, college.counsellor, college.mentor, college.peer
    # talk (every 15 days, any team seat): s0 and s2 met; s1 too long ago; s3 not by the team
    await _log(session, s[0], peer, "谈心谈话", NOW - timedelta(days=3), "明显好转")
    await _log(session, s[1], counsellor, "谈心谈话", at(11, 3), "有所改善")
    await _log(session, s[2], counsellor, "电话/线上联系", NOW - timedelta(days=1), "明显好转")
    await _log(session, s[3], college.other, "谈心谈话", NOW - timedelta(days=1))
    # dorm visits (2 a month, the student-affairs teacher): only s0
    await _log(session, s[0], counsellor, "走访寝室", at(11, 5))
    await _log(session, s[0], counsellor, "走访寝室", at(11, 20))
    await _log(session, s[1], counsellor, "走访寝室", at(11, 6))
    await _log(session, s[2], counsellor, "走访寝室", at(11, 6))
    await _log(session, s[2], mentor, "走访寝室", at(11, 7))
    # academic tutoring (once a semester, the academic mentor): s4; October's effect
    await _log(session, s[4], mentor, "学业辅导", at(10, 12), "保持稳定")
    # before the semester: not counted in effects
    await _log(session, s[5], counsellor, "谈心谈话", at(8, 20), "有所恶化")


async def _alerts_and_aid(session: AsyncSession, college: College) -> None:
    s, other = college.students, college.students[6]
    for student, raised, done in (
        (s[0], at(10, 1, 8), at(10, 1, 10)),
        (s[1], at(11, 1, 8), None),
        (other, at(11, 2, 8), at(11, 2, 9)),
    ):
        assert student.id is not None
        status = "acknowledged" if done else "open"
        alert = Alert(student_id=student.id, source="visit_log", created_at=raised,
                      acknowledged_at=done, status=status)  # fmt: skip
        session.add(alert)
    for student, status in ((s[0], "approved"), (s[0], "declined"), (s[1], "pending")):
        assert student.id is not None
        session.add(AidApplication(student_id=student.id, status=status, created_at=at(10, 8)))


async def _notice(session: AsyncSession, college: College) -> None:
    notice = Broadcast(status="queued", topic="aid", needs_receipt=True, created_at=at(10, 9),
                       queued_at=at(10, 9))  # fmt: skip
    session.add(notice)
    await session.flush()
    assert notice.id is not None
    for n, (student, status, confirmed) in enumerate(
        ((college.students[0], "sent", at(10, 10)), (college.students[1], "failed", None))
    ):
        row = OutboxMessage(channel="simulator", person_id=student.id, recipient=student.code,
                            idempotency_key=f"stats-test:{n}", payload="{}", content_key="k",
                            status=status, next_attempt_at=at(10, 9),
                            created_at=at(10, 9))  # fmt: skip
        session.add(row)
        await session.flush()
        assert notice.id is not None and student.id is not None
        session.add(BroadcastDelivery(broadcast_id=notice.id, person_id=student.id,
                                      outbox_id=row.id, confirmed_at=confirmed))  # fmt: skip


async def _careers(session: AsyncSession, college: College) -> None:
    s = college.students
    for student in s[:2]:
        student.graduation_year = 2027
        session.add(student)
    first = Survey(kind="就业意向", created_at=at(9, 20))
    later = Survey(kind="就业意向", created_at=at(10, 20))
    posting = JobPosting(title="开发", employer="某公司", place="杭州", deadline=at(12, 1).date(),
                         how_to_apply="网申", created_at=at(10, 1))  # fmt: skip
    session.add_all([first, later, posting])
    await session.flush()
    assert first.id and later.id and posting.id and s[0].id and s[1].id
    for survey, person, choice in (
        (first, s[1], "考研"),
        (later, s[1], "就业"),
        (first, s[0], "就业"),
    ):
        session.add(SurveyAnswer(survey_id=survey.id, person_id=person.id, question="intention",
                                 choice=choice))  # fmt: skip
    other = JobPosting(title="测试", employer="某公司", place="杭州", deadline=at(12, 1).date(),
                       how_to_apply="网申", created_at=at(10, 1))  # fmt: skip
    session.add(other)
    await session.flush()
    assert other.id
    for job in (posting.id, other.id):
        session.add(JobApplication(posting_id=job, student_id=s[0].id, created_at=at(10, 15)))
