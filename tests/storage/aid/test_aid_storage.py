"""Aid storage: which postings a student may see (by the reach they were published for),
which close on a day, and a student's decided applications for the case file."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.aid import applications, postings
from storage.models import AidApplication, AidPosting, AidStatus, TeamRole
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student

TODAY = date(2026, 11, 23)


def _posting(name: str, deadline: date, clock: FakeClock, **scope: object) -> AidPosting:
    return AidPosting(
        name=name,
        kind="国家助学金",
        eligibility="全体本科生",
        deadline=deadline,
        how_to_apply="学工办",
        created_at=clock.now(),
        **scope,  # type: ignore[arg-type]
    )


async def test_a_student_sees_the_schools_their_colleges_and_their_teachers_postings(
    session: AsyncSession, clock: FakeClock
) -> None:
    mine = await make_staff(session, code="T1")
    other = await make_staff(session, code="T2")
    student = await make_student(session, code="S1", team={TeamRole.STUDENT_AFFAIRS: mine})
    assert student.id is not None
    for posting in (
        _posting("school", date(2026, 12, 20), clock),
        _posting("college", date(2026, 12, 10), clock, scope_college="计算机学院"),
        _posting("other college", date(2026, 12, 10), clock, scope_college="文学院"),
        _posting("mine", date(2026, 12, 1), clock, scope_teacher_id=mine.id),
        _posting("others", date(2026, 12, 1), clock, scope_teacher_id=other.id),
        _posting("closed", date(2026, 11, 22), clock),
    ):
        await postings.add_posting(session, posting)

    found = await postings.open_for_student(
        session, student_id=student.id, college="计算机学院", today=TODAY
    )
    without_college = await postings.open_for_student(
        session, student_id=student.id, college=None, today=TODAY
    )
    everything = await postings.open_postings(session, today=TODAY)

    assert [p.name for p in found] == ["mine", "college", "school"]
    assert [p.name for p in without_college] == ["mine", "school"]
    assert len(everything) == 5
    hidden = next(p for p in everything if p.name == "others")
    assert hidden.id is not None
    assert (
        await postings.visible_to_student(
            session, posting_id=hidden.id, student_id=student.id, college="计算机学院"
        )
        is None
    )


async def test_closing_on_finds_the_postings_of_that_day(
    session: AsyncSession, clock: FakeClock
) -> None:
    await postings.add_posting(session, _posting("a", date(2026, 11, 26), clock))
    await postings.add_posting(session, _posting("b", date(2026, 11, 27), clock))

    assert [p.name for p in await postings.closing_on(session, date(2026, 11, 26))] == ["a"]


async def test_decisions_for_lists_only_decided_applications(
    session: AsyncSession, clock: FakeClock
) -> None:
    teacher = await make_staff(session, code="T1")
    student = await make_student(session, code="S1")
    assert teacher.id is not None and student.id is not None
    pending, decided = [
        await applications.add_application(
            session,
            AidApplication(
                student_id=student.id,
                teacher_id=teacher.id,
                reason=reason,
                need="补助",
                created_at=clock.now(),
            ),
        )
        for reason in ("一", "二")
    ]
    await applications.decide(
        session, decided, approved=False, note="名额已满", by=teacher.id, now=clock.now()
    )

    [found] = await applications.decisions_for(session, student.id)
    assert (found.id, found.status, found.note) == (decided.id, AidStatus.DECLINED, "名额已满")
    assert pending.status == AidStatus.PENDING
