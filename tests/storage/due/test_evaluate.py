"""Due and overdue contacts, computed in SQL: cadences, pacing, seats, scopes and weekly reports.

Every behaviour runs with both strategies ("seek" and "scan") on the database under test."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.due.evaluate import (
    WEEKLY_REPORT,
    DueItem,
    RuleQuery,
    RuleQueryError,
    Scope,
    Strategy,
    due_items,
)
from storage.models import Person, VisitLog, WeeklyReport
from tests.fakes.roster import make_staff, make_student

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)  # a Monday
SEMESTER_START = datetime(2026, 9, 7, tzinfo=SHANGHAI)
NOVEMBER = (datetime(2026, 11, 1, tzinfo=SHANGHAI), datetime(2026, 12, 1, tzinfo=SHANGHAI))
TEAM = ("academic_mentor", "student_affairs", "peer_mentor")

TALK = RuleQuery(
    "talk", "student_affairs", TEAM, ("谈心谈话",), Scope(), every_days=15, since=SEMESTER_START
)
DORM = RuleQuery(
    "dorm",
    "student_affairs",
    ("student_affairs",),
    ("走访寝室",),
    Scope(),
    times=2,
    period_start=NOVEMBER[0],
    period_end=NOVEMBER[1],
)


@dataclass
class Staff:
    mentor: Person
    teacher: Person
    peer: Person
    counsellor: Person  # staff outside every team

    def team(self) -> dict[str, Person]:
        return {
            "academic_mentor": self.mentor,
            "student_affairs": self.teacher,
            "peer_mentor": self.peer,
        }


@pytest.fixture(params=["seek", "scan"])
def strategy(request: pytest.FixtureRequest) -> Strategy:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def staff(session: AsyncSession) -> Staff:
    return await make_team_staff(session)


async def make_team_staff(session: AsyncSession) -> Staff:
    return Staff(
        mentor=await make_staff(session, name="李导师", roles=("academic_mentor",)),
        teacher=await make_staff(session, name="王老师"),
        peer=await make_student(session, name="朋辈"),
        counsellor=await make_staff(session, name="赵老师"),
    )


async def special(session: AsyncSession, staff: Staff, **kwargs: object) -> Person:
    kwargs.setdefault("categories", ("orphan",))
    kwargs.setdefault("team", staff.team())
    return await make_student(session, **kwargs)  # type: ignore[arg-type]


def log(student: Person, author: Person, at: datetime, kind: str = "谈心谈话") -> VisitLog:
    assert student.id is not None and author.id is not None
    moment = at.astimezone(UTC)
    return VisitLog(
        student_id=student.id, author_id=author.id, kind=kind, occurred_at=moment, created_at=moment
    )


async def evaluate(
    session: AsyncSession, rules: list[RuleQuery], strategy: Strategy, **kwargs: object
) -> dict[tuple[str, int | None], DueItem]:
    await session.commit()
    items = await due_items(session, rules, now=kwargs.pop("now", NOW), strategy=strategy, **kwargs)  # type: ignore[arg-type]
    await session.commit()
    return {(item.rule_id, item.student_id): item for item in items}


async def test_a_student_never_contacted_is_due_every_days_after_since(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    student = await special(session, staff)

    items = await evaluate(session, [TALK], strategy)

    item = items["talk", student.id]
    assert item.person_id == staff.teacher.id
    assert item.due_at == (SEMESTER_START + timedelta(days=15)).astimezone(UTC)
    assert item.due_at.tzinfo is not None
    assert (item.last_at, item.done, item.key_attention) == (None, 0, False)


async def test_a_recent_talk_is_not_due_and_an_old_one_is_overdue_by_exactly_three_days(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    recent = await special(session, staff, name="近期")
    stale = await special(session, staff, name="久未")
    last = NOW - timedelta(days=18)
    session.add_all(
        [log(recent, staff.peer, NOW - timedelta(days=2)), log(stale, staff.mentor, last)]
    )

    items = await evaluate(session, [TALK], strategy)

    assert ("talk", recent.id) not in items
    item = items["talk", stale.id]
    assert item.last_at == last.astimezone(UTC)
    assert item.due_at == (last + timedelta(days=15)).astimezone(UTC)
    assert NOW - item.due_at == timedelta(days=3)


async def test_upcoming_also_lists_what_falls_due_within_the_window(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    student = await special(session, staff)
    session.add(log(student, staff.teacher, NOW - timedelta(days=13)))

    assert await evaluate(session, [TALK], strategy) == {}
    soon = await evaluate(session, [TALK], strategy, upcoming=timedelta(days=3))

    assert soon["talk", student.id].due_at == (NOW + timedelta(days=2)).astimezone(UTC)


async def test_a_peer_mentors_visit_does_not_satisfy_a_rule_for_the_teacher(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    by_peer = await special(session, staff, name="朋辈看过")
    by_teacher = await special(session, staff, name="老师看过")
    session.add_all(
        [
            log(by_peer, staff.peer, NOW - timedelta(days=1), kind="走访寝室"),
            log(by_teacher, staff.teacher, datetime(2026, 11, 3, tzinfo=SHANGHAI), "走访寝室"),
        ]
    )

    items = await evaluate(session, [DORM], strategy)

    assert (items["dorm", by_peer.id].done, items["dorm", by_peer.id].last_at) == (0, None)
    assert ("dorm", by_teacher.id) not in items


async def test_a_contact_by_staff_outside_the_team_counts_only_for_anyone_rules(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    student = await special(session, staff)
    session.add(log(student, staff.counsellor, NOW - timedelta(days=1)))
    anyone = replace(TALK, rule_id="anyone", counted_seats=None)

    items = await evaluate(session, [TALK, anyone], strategy)

    assert ("talk", student.id) in items
    assert ("anyone", student.id) not in items


# The second visit falls due at the very end of the month, so "near the end" means within a
# day's look-ahead; with no look-ahead it would never be due inside the month.
@pytest.mark.parametrize(
    ("now", "visits", "due_at"),
    [
        (datetime(2026, 11, 10, 9, tzinfo=SHANGHAI), 0, None),
        (datetime(2026, 11, 16, 9, tzinfo=SHANGHAI), 0, datetime(2026, 11, 16, tzinfo=SHANGHAI)),
        (datetime(2026, 11, 30, 20, tzinfo=SHANGHAI), 1, datetime(2026, 12, 1, tzinfo=SHANGHAI)),
        (datetime(2026, 11, 30, 20, tzinfo=SHANGHAI), 2, None),
    ],
    ids=["none-in-first-half", "none-after-mid-month", "one-near-month-end", "both-done"],
)
async def test_twice_a_month_is_paced_one_by_mid_month_and_one_by_month_end(
    session: AsyncSession,
    staff: Staff,
    strategy: Strategy,
    now: datetime,
    visits: int,
    due_at: datetime | None,
) -> None:
    student = await special(session, staff)
    for day in range(visits):
        session.add(
            log(student, staff.teacher, datetime(2026, 11, 2 + day, tzinfo=SHANGHAI), "走访寝室")
        )

    items = await evaluate(session, [DORM], strategy, now=now, upcoming=timedelta(days=1))

    if due_at is None:
        assert items == {}
    else:
        item = items["dorm", student.id]
        assert (item.due_at, item.done) == (due_at.astimezone(UTC), visits)


async def test_last_months_visits_do_not_count_for_this_month_but_show_as_last_contact(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    student = await special(session, staff)
    october = datetime(2026, 10, 28, 10, tzinfo=SHANGHAI)
    session.add_all([log(student, staff.teacher, october, "走访寝室") for _ in range(2)])

    item = (await evaluate(session, [DORM], strategy))["dorm", student.id]

    assert (item.done, item.last_at) == (0, october.astimezone(UTC))


async def test_contacts_logged_after_now_are_ignored(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    student = await special(session, staff)
    session.add(log(student, staff.teacher, NOW + timedelta(hours=1)))
    session.add(log(student, staff.teacher, NOW + timedelta(days=1), "走访寝室"))

    items = await evaluate(session, [TALK, DORM], strategy)

    assert items["talk", student.id].last_at is None
    assert items["dorm", student.id].done == 0


async def test_scopes_pick_key_attention_category_and_graduation_year(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    key = await special(session, staff, name="重点", categories=(), key_attention=True)
    poor = await special(session, staff, name="困难", categories=("financial_hardship",))
    senior = await special(session, staff, name="毕业生")
    senior.graduation_year = 2027
    ordinary = await make_student(session, name="普通", team=staff.team())
    rules = [
        replace(TALK, rule_id="all"),
        replace(TALK, rule_id="key", scope=Scope(key_attention_only=True)),
        replace(TALK, rule_id="poor", scope=Scope(category="financial_hardship")),
        replace(TALK, rule_id="senior", scope=Scope(graduation_year=2027)),
        replace(TALK, rule_id="everyone", scope=Scope(special_only=False)),
    ]

    items = await evaluate(session, rules, strategy)

    chosen = {
        rule: {sid for r, sid in items if r == rule} for rule in ("all", "key", "poor", "senior")
    }
    assert chosen == {
        "all": {key.id, poor.id, senior.id},
        "key": {key.id},
        "poor": {poor.id},
        "senior": {senior.id},
    }
    assert ("everyone", ordinary.id) in items
    assert items["all", key.id].key_attention is True


async def test_a_student_without_the_remind_seat_gets_no_item(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    lacking = await special(session, staff, team={"academic_mentor": staff.mentor})
    complete = await special(session, staff)

    items = await evaluate(session, [TALK], strategy)

    assert set(items) == {("talk", complete.id)}
    assert ("talk", lacking.id) not in items


async def test_weekly_reports_count_for_their_own_week(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    reported = await special(session, staff, name="已报", key_attention=True)
    last_week = await special(session, staff, name="上周报", key_attention=True)
    written = (NOW - timedelta(days=3)).astimezone(UTC)
    session.add_all(
        [
            weekly(reported, staff.teacher, date(2026, 11, 16), written),
            weekly(last_week, staff.teacher, date(2026, 11, 9), written),
        ]
    )
    week = (datetime(2026, 11, 16, tzinfo=SHANGHAI), datetime(2026, 11, 23, tzinfo=SHANGHAI))
    rule = RuleQuery(
        "weekly",
        "student_affairs",
        None,
        (WEEKLY_REPORT,),
        Scope(key_attention_only=True),
        times=1,
        period_start=week[0],
        period_end=week[1],
    )

    items = await evaluate(session, [rule], strategy, upcoming=timedelta(days=7))

    assert set(items) == {("weekly", last_week.id)}
    item = items["weekly", last_week.id]
    assert (item.done, item.last_at, item.due_at) == (0, written, week[1].astimezone(UTC))


def weekly(student: Person, author: Person, monday: date, written: datetime) -> WeeklyReport:
    assert student.id is not None and author.id is not None
    return WeeklyReport(
        student_id=student.id,
        author_id=author.id,
        week_start=monday,
        status="稳定",
        created_at=written,
    )


async def test_nothing_is_due_in_a_period_that_has_not_begun(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    await special(session, staff)
    december = replace(DORM, period_start=NOVEMBER[1], period_end=datetime(2027, 1, 1, tzinfo=UTC))

    assert await evaluate(session, [december], strategy, upcoming=timedelta(days=14)) == {}
    assert len(await evaluate(session, [december], strategy, upcoming=timedelta(days=31))) == 1


async def test_a_period_carried_past_its_end_is_fulfilled_by_a_late_contact(
    session: AsyncSession, staff: Staff, strategy: Strategy
) -> None:
    """A week-long key period that ended on 11月8日 unfulfilled stays due at its end, until a
    contact inside `counted_until` (a talk on the 12th) fulfils it."""
    start, end = datetime(2026, 11, 2, tzinfo=SHANGHAI), datetime(2026, 11, 9, tzinfo=SHANGHAI)
    key = replace(DORM, rule_id="key", times=1, period_start=start, period_end=end)
    carried = replace(key, rule_id="carried", counted_until=NOVEMBER[1])
    late = await special(session, staff, name="补谈")
    session.add(log(late, staff.teacher, datetime(2026, 11, 12, 15, tzinfo=SHANGHAI), "走访寝室"))
    never = await special(session, staff, name="未谈")

    items = await evaluate(session, [key, carried], strategy)

    assert {rule for rule, student in items if student == late.id} == {"key"}
    assert items["carried", never.id].due_at == end.astimezone(UTC)
    assert (items["key", late.id].done, items["carried", never.id].done) == (0, 0)


@pytest.mark.parametrize(
    "change",
    [
        {"kinds": (WEEKLY_REPORT, "谈心谈话")},
        {"kinds": ()},
        {"remind_seat": "counsellor"},
        {"counted_seats": ()},
        {"every_days": 15},
        {"times": None},
        {"times": 0},
        {"every_days": 0, "times": None},
        {"period_end": NOVEMBER[0]},
        {"period_start": datetime(2026, 11, 1)},
        {"counted_until": NOVEMBER[1] - timedelta(days=1)},
    ],
)
def test_rules_the_query_cannot_mean_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(RuleQueryError):
        replace(DORM, **change)  # type: ignore[arg-type]


async def test_now_must_be_aware(session: AsyncSession) -> None:
    with pytest.raises(RuleQueryError):
        await due_items(session, [TALK], now=datetime(2026, 11, 16, 9))
