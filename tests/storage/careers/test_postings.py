"""Postings: the open ones for a student (their major first), 报名 once, a student's list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.careers import postings
from storage.careers.dates import parse_deadline
from storage.models import JobPosting
from tests.fakes.roster import make_student

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)


def _posting(title: str, deadline: date, majors: str = "") -> JobPosting:
    return JobPosting(
        title=title,
        employer="星辰科技",
        place="杭州",
        majors=majors,
        deadline=deadline,
        how_to_apply="投递简历",
        created_at=NOW,
    )


async def test_open_postings_leave_out_past_deadlines_and_put_the_major_first(
    session: AsyncSession,
) -> None:
    for posting in (
        _posting("过期", TODAY - timedelta(days=1), "软件工程"),
        _posting("今天截止", TODAY),
        _posting("对口", TODAY + timedelta(days=30), "软件工程、汉语言文学"),
        _posting("别的专业", TODAY + timedelta(days=2), "汉语言文学"),
    ):
        await postings.add_posting(session, posting)

    found = await postings.open_postings(session, today=TODAY, major="软件工程")

    assert [p.title for p in found] == ["对口", "今天截止", "别的专业"]
    nothing_first = await postings.open_postings(session, today=TODAY, major=None)
    assert [p.title for p in nothing_first] == ["今天截止", "别的专业", "对口"]


async def test_an_application_is_recorded_once(session: AsyncSession) -> None:
    student = await make_student(session)
    assert student.id is not None
    posting = await postings.add_posting(session, _posting("测试", TODAY))
    assert posting.id is not None

    first = await postings.record_application(
        session, posting_id=posting.id, student_id=student.id, now=NOW
    )
    second = await postings.record_application(
        session, posting_id=posting.id, student_id=student.id, now=NOW
    )

    assert (first, second) == (True, False)
    [applied] = await postings.applications_of(session, student.id)
    assert applied.posting.id == posting.id
    assert await postings.applicant_count(session, posting.id) == 1


def test_majors_are_split_on_the_usual_separators() -> None:
    assert postings.split_majors("软件工程，计算机科学与技术、 数学;软件工程") == (
        "软件工程",
        "计算机科学与技术",
        "数学",
    )
    assert postings.split_majors(None) == ()


def test_deadlines_read_as_people_write_them() -> None:
    assert parse_deadline("2026-12-31", today=TODAY) == date(2026, 12, 31)
    assert parse_deadline("２０２６年１２月３１日", today=TODAY) == date(2026, 12, 31)
    assert parse_deadline("12月20日", today=TODAY) == date(2026, 12, 20)
    assert parse_deadline("1/5", today=TODAY) == date(2027, 1, 5)
    assert parse_deadline("11月23日", today=TODAY) == TODAY
    assert parse_deadline("2月30日", today=TODAY) is None
    assert parse_deadline("下个月", today=TODAY) is None
    assert parse_deadline(datetime(2026, 12, 1, 8), today=TODAY) == date(2026, 12, 1)
