"""Audience resolution: each filter against the roster, the sender's scope, and who is left
out and why."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Person
from storage.outreach.audience import Audience, Filters, Scope, resolve, unknown_values
from storage.outreach.subscriptions import set_subscription
from storage.people.identify import AccountMatch
from tests.fakes.roster import make_staff, make_student

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
WECOM = {"wecom": AccountMatch.MESSENGER_ACCOUNT}
SCHOOL = Scope(everyone=True)


async def _student(session: AsyncSession, name: str, **fields: object) -> Person:
    extra = {k: fields.pop(k) for k in ("major", "grade", "graduation_year") if k in fields}
    person = await make_student(session, name=name, wecom=f"w_{name}", **fields)  # type: ignore[arg-type]
    for key, value in extra.items():
        setattr(person, key, value)
    session.add(person)
    await session.flush()
    return person


@pytest.fixture
async def roster(session: AsyncSession) -> dict[str, int]:
    counsellor = await make_staff(session, name="王老师", code="T1", wecom="t1")
    mentor = await make_staff(
        session, name="赵导师", code="T2", roles=("academic_mentor",), wecom="t2"
    )
    people = [
        await _student(
            session,
            "甲",
            college="机械工程学院",
            class_name="机械2301",
            major="机械设计",
            grade="2023",
            graduation_year=2027,
            categories=("subsistence_allowance",),
            team={"student_affairs": counsellor, "academic_mentor": mentor},
        ),
        await _student(
            session,
            "乙",
            college="机械工程学院",
            class_name="机械2302",
            major="车辆工程",
            grade="2023",
            graduation_year=2027,
            key_attention=True,
        ),
        await _student(
            session,
            "丙",
            college="计算机学院",
            class_name="计科2201",
            major="计算机科学与技术",
            grade="2022",
            graduation_year=2026,
            categories=("poverty_alleviated",),
        ),
        await _student(session, "丁", college="计算机学院", grade="2024", graduation_year=2028),
    ]
    await session.commit()
    ids = {p.name: p.id for p in people} | {"王老师": counsellor.id, "赵导师": mentor.id}
    return {name: pid for name, pid in ids.items() if pid is not None}


def _names(audience: Audience, roster: dict[str, int]) -> set[str]:
    by_id = {pid: name for name, pid in roster.items()}
    return {by_id[pid] for pid in audience.recipients}


async def _resolve(session: AsyncSession, filters: Filters, within: Scope = SCHOOL) -> Audience:
    return await resolve(session, filters, within=within, topic="通知", channels=WECOM, now=NOW)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), {"甲", "乙", "丁"}),
        (Filters(colleges=("机械工程学院",)), {"甲", "乙"}),
        (Filters(majors=("车辆工程",)), {"乙"}),
        (Filters(classes=("机械2301", "计科2201")), {"甲"}),
        (Filters(grades=(2023,)), {"甲", "乙"}),
        (Filters(graduating_years=(2027,)), {"甲", "乙"}),
        (Filters(graduating_years=(2026,)), {"丙"}),
        (Filters(categories=("低保家庭", "脱贫家庭")), {"甲"}),
        (Filters(key_attention=True), {"乙"}),
        (Filters(key_attention=False, colleges=("机械工程学院",)), {"甲"}),
        (Filters(role="mentor", categories=("低保家庭",)), {"王老师", "赵导师"}),
        (Filters(role="all", classes=("机械2301",)), {"甲", "王老师", "赵导师"}),
    ],
)
async def test_each_filter_selects_its_students(
    session: AsyncSession, roster: dict[str, int], filters: Filters, expected: set[str]
) -> None:
    assert _names(await _resolve(session, filters), roster) == expected


async def test_student_numbers_select_exactly_those(
    session: AsyncSession, roster: dict[str, int]
) -> None:
    code = await session.get(Person, roster["乙"])
    assert code is not None
    audience = await _resolve(session, Filters(student_numbers=(code.code, "nope0000")))
    assert _names(audience, roster) == {"乙"}


async def test_the_scope_limits_what_filters_can_reach(
    session: AsyncSession, roster: dict[str, int]
) -> None:
    college = await _resolve(session, Filters(), Scope(college="计算机学院"))
    teacher = await _resolve(session, Filters(), Scope(student_affairs_of=roster["王老师"]))
    nobody = await _resolve(session, Filters(), Scope())

    assert _names(college, roster) == {"丁"}
    assert _names(teacher, roster) == {"甲"}
    assert nobody.recipients == [] and nobody.left_out == []


async def test_left_out_people_are_named_with_their_reason(
    session: AsyncSession, roster: dict[str, int]
) -> None:
    await make_student(session, name="戊", college="计算机学院")  # no messenger account
    await set_subscription(session, roster["丁"], "岗位", False, NOW)
    await session.commit()

    audience = await resolve(
        session, Filters(), within=SCHOOL, topic="岗位", channels=WECOM, now=NOW
    )
    reasons = dict(audience.left_out)
    assert reasons[roster["丙"]] == "graduated"
    assert reasons[roster["丁"]] == "unsubscribed"
    assert sorted(reasons.values()) == ["graduated", "no_account", "unsubscribed"]
    assert _names(audience, roster) == {"甲", "乙"}


async def test_a_roster_code_channel_reaches_people_without_accounts(
    session: AsyncSession, roster: dict[str, int]
) -> None:
    await make_student(session, name="戊", college="计算机学院")
    await session.commit()
    channels = {"simulator": AccountMatch.ROSTER_CODE}
    audience = await resolve(
        session, Filters(colleges=("计算机学院",)), within=SCHOOL, topic="通知",
        channels=channels, now=NOW,
    )  # fmt: skip
    assert len(audience.recipients) == 2 and audience.left_out[0][1] == "graduated"


async def test_unknown_values_list_the_valid_ones(
    session: AsyncSession, roster: dict[str, int]
) -> None:
    problems = await unknown_values(session, Filters(colleges=("文学院",), majors=("车辆工程",)))
    assert problems == {"colleges": ["机械工程学院", "计算机学院"]}
