"""The demo university: sizes, roles, 1+1+1 teams, case files, visit history, determinism."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.demo.load import DatabaseNotEmptyError, DemoSummary, load_demo
from storage.demo.plan import build_demo
from storage.models import (
    Assignment,
    CaseFile,
    Category,
    MessengerAccount,
    Person,
    PersonKind,
    PersonRole,
    Role,
    StudentCategory,
    TeamRole,
    VisitLog,
)
from storage.people.roles import roles_of as everyones_roles
from tests.fakes.roster import make_student

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
EPOCH = NOW - timedelta(days=365)
KINDS = {"谈心谈话", "走访寝室", "学业辅导", "心理疏导", "经济资助", "就业指导", "电话/线上联系"}
KINDS |= {"家长联系", "其他"}
EFFECTS = {"明显好转", "有所改善", "保持稳定", "无明显变化", "有所恶化"}


@pytest.fixture
async def summary(session: AsyncSession) -> DemoSummary:
    loaded = await load_demo(session, now=NOW)
    await session.commit()
    return loaded


async def _people(session: AsyncSession) -> dict[int, Person]:
    return {p.id: p for p in (await session.exec(select(Person))).all() if p.id is not None}


async def _categories(session: AsyncSession) -> dict[int, set[str]]:
    result: defaultdict[int, set[str]] = defaultdict(set)
    for row in (await session.exec(select(StudentCategory))).all():
        result[row.student_id].add(row.category_code)
    return result


async def _teams(session: AsyncSession) -> dict[int, dict[str, int]]:
    result: defaultdict[int, dict[str, int]] = defaultdict(dict)
    for row in (await session.exec(select(Assignment))).all():
        result[row.student_id][row.role] = row.mentor_id
    return result


async def test_a_university_of_three_hundred_students(
    session: AsyncSession, summary: DemoSummary
) -> None:
    people = (await _people(session)).values()
    categories = await _categories(session)
    students = [p for p in people if p.kind == PersonKind.STUDENT]
    schemes = dict((await session.exec(select(Category.code, Category.scheme))).all())

    assert len(students) == summary.students == 300
    assert len(categories) == summary.special == 60
    assert {p.college for p in students} == {"计算机学院", "机械工程学院", "经济管理学院"}
    assert {p.grade for p in students} == {"2023", "2024", "2025", "2026"}
    assert 35 <= summary.staff <= 45
    assert {schemes[c] for codes in categories.values() for c in codes} == {"group", "ledger"}
    assert 5 <= sum(len(codes) == 2 for codes in categories.values()) <= 30
    key = [p for p in students if p.key_attention]
    assert 3 <= len(key) <= 8 and all(p.id in categories for p in key)
    assert all(p.phone and p.dorm and p.class_name and p.guardian_phone for p in students)
    assert len({p.name for p in people}) == len(people)


async def test_every_role_is_held_and_everyone_has_a_wecom_account(
    session: AsyncSession, summary: DemoSummary
) -> None:
    roles = await everyones_roles(session)
    people = await _people(session)
    accounts = (await session.exec(select(MessengerAccount))).all()

    held = {role for person_roles in roles.values() for role in person_roles}
    assert held == set(Role)
    admins = {people[p].college for p, r in roles.items() if Role.COLLEGE_ADMIN in r}
    assert admins == set(summary.colleges)
    assert any(len(r) >= 2 for r in roles.values())
    wecom = {a.person_id for a in accounts if a.channel == "wecom"}
    dingtalk = {a.person_id for a in accounts if a.channel == "dingtalk"}
    assert wecom == set(people) and 0.7 * len(people) < len(dingtalk) < len(people)
    assert all(a.account_key == a.account.lower() for a in accounts)


async def test_special_students_have_a_team_from_their_college_except_a_few_gaps(
    session: AsyncSession, summary: DemoSummary
) -> None:
    people, teams = await _people(session), await _teams(session)
    categories = await _categories(session)
    roles = await everyones_roles(session)

    assert set(teams) == set(categories)
    gaps = [s for s, seats in teams.items() if len(seats) < 3]
    assert 3 <= len(gaps) == summary.team_gaps <= 5
    assert all(len(teams[s]) == 2 for s in gaps)
    for student, seats in teams.items():
        assert {people[m].college for m in seats.values()} == {people[student].college}
        if mentor_id := seats.get(TeamRole.ACADEMIC_MENTOR):
            assert Role.ACADEMIC_MENTOR in roles[mentor_id]
        if affairs := seats.get(TeamRole.STUDENT_AFFAIRS):
            assert roles[affairs] & {Role.COUNSELLOR, Role.CLASS_TEACHER}


async def test_peer_mentors_are_ordinary_students_with_the_role(
    session: AsyncSession, summary: DemoSummary
) -> None:
    people, teams = await _people(session), await _teams(session)
    categories = await _categories(session)
    rows = await session.exec(select(PersonRole.person_id).where(PersonRole.role == "peer_mentor"))
    with_role = set(rows.all())

    peers = {s[TeamRole.PEER_MENTOR] for s in teams.values() if TeamRole.PEER_MENTOR in s}
    assert peers == with_role and len(peers) == summary.peer_mentors
    assert all(people[p].kind == PersonKind.STUDENT for p in peers)
    assert not peers & set(categories)


async def test_visit_logs_span_sixty_days_by_the_students_own_team(
    session: AsyncSession, summary: DemoSummary
) -> None:
    teams, roles = await _teams(session), await everyones_roles(session)
    logs = (await session.exec(select(VisitLog))).all()

    assert len(logs) == summary.visit_logs > 500
    moments = [log.occurred_at for log in logs]
    assert max(moments) < NOW and min(moments) >= NOW - timedelta(days=61)
    assert max(moments) - min(moments) > timedelta(days=50)
    for log in logs:
        assert log.author_id in teams[log.student_id].values()
        assert log.kind in KINDS and log.effect in EFFECTS and log.summary
        assert log.occurred_at <= log.created_at <= NOW
        local = log.occurred_at.astimezone(SHANGHAI).time()
        assert time(8, 30) <= local <= time(17, 30)
        if Role.PEER_MENTOR in roles.get(log.author_id, set()):
            assert log.kind in {"谈心谈话", "其他"}
    risky = [log for log in logs if log.risk]
    assert 2 <= len(risky) == summary.risk_logs and all(log.risk_description for log in risky)


async def test_most_students_are_talked_with_and_some_are_overdue(
    session: AsyncSession, summary: DemoSummary
) -> None:
    last_talk: dict[int, datetime] = {}
    dorm_visits: defaultdict[int, int] = defaultdict(int)
    for log in (await session.exec(select(VisitLog))).all():
        if log.kind == "谈心谈话":
            last_talk[log.student_id] = max(log.occurred_at, last_talk.get(log.student_id, EPOCH))
        if log.kind == "走访寝室":
            dorm_visits[log.student_id] += 1

    recent = [s for s, at in last_talk.items() if NOW - at <= timedelta(days=20)]
    overdue = [s for s, at in last_talk.items() if NOW - at > timedelta(days=15)]
    assert len(recent) >= 0.8 * summary.special
    assert overdue
    assert sum(dorm_visits.values()) >= 2 * summary.special


async def test_case_files_hold_plans_except_a_few(
    session: AsyncSession, summary: DemoSummary
) -> None:
    teams = await _teams(session)
    cases = (await session.exec(select(CaseFile))).all()

    assert {c.student_id for c in cases} == set(teams)
    missing = [c for c in cases if c.plan is None]
    assert 2 <= len(missing) == summary.plans_missing <= 5
    for case in cases:
        assert case.problem_type and case.problem_description and case.opened_at < NOW
        assert case.counsellor_id == teams[case.student_id].get(TeamRole.STUDENT_AFFAIRS)
        assert case.plan is None or case.plan.startswith("1. ")


async def test_well_known_codes_are_who_the_summary_says(
    session: AsyncSession, summary: DemoSummary
) -> None:
    people = {p.code: p for p in (await _people(session)).values()}
    roles = await everyones_roles(session)
    teams, categories = await _teams(session), await _categories(session)
    known = {k.key: k for k in summary.well_known}

    def roles_of(key: str) -> set[str]:
        return roles.get(people[known[key].code].id or 0, set())

    assert [known[k].code for k in ("school_admin", "counsellor", "college_admin")] == [
        "T0001",
        "T0002",
        "T0003",
    ]
    assert Role.SCHOOL_ADMIN in roles_of("school_admin")
    assert Role.COUNSELLOR in roles_of("counsellor") and known["counsellor"].students >= 3
    assert Role.COLLEGE_ADMIN in roles_of("college_admin")
    assert known["academic_mentor"].code == "T0004"
    assert Role.PEER_MENTOR in roles_of("peer_mentor")
    special = people[known["special"].code]
    assert special.id in categories and len(teams[special.id]) == 3 and special.key_attention
    ordinary = people[known["student"].code]
    assert ordinary.id not in categories and roles_of("student") == {Role.STUDENT}
    assert all(people[k.code].name == k.name for k in summary.well_known)


def test_the_same_seed_gives_the_same_university() -> None:
    categories = {"orphan": "孤儿", "psychological": "心理异常"}

    def build(seed: int) -> list[tuple[str, ...]]:
        plan = build_demo(now=NOW, students=120, seed=seed, categories=categories, tz=SHANGHAI)
        people = [(p.code, p.name, p.dorm or "", p.wecom) for p in plan.people]
        visits = [(v.student.code, v.author.code, v.occurred_at.isoformat()) for v in plan.visits]
        return people + visits

    assert build(7) == build(7)
    assert build(7) != build(8)


async def test_a_database_with_people_is_left_alone(session: AsyncSession) -> None:
    await make_student(session, name="张三", code="2023000001")
    await session.commit()

    with pytest.raises(DatabaseNotEmptyError):
        await load_demo(session, now=NOW)
    await session.rollback()

    assert (await session.exec(select(func.count()).select_from(Person))).one() == 1


async def test_sensitive_fields_are_encrypted_at_rest(
    session: AsyncSession, summary: DemoSummary
) -> None:
    raw = await (await session.connection()).execute(
        text("SELECT phone, guardian_name FROM person")
    )
    rows = raw.all()
    plain = await session.exec(select(Person.phone, Person.guardian_name))

    assert {tuple(r) for r in rows}.isdisjoint({tuple(r) for r in plain.all()})


@pytest.mark.slow
async def test_three_thousand_students_scale_everything(session: AsyncSession) -> None:
    loaded = await load_demo(session, now=NOW, students=3000, seed=11)
    await session.commit()

    assert loaded.students == 3000 and loaded.special == 600
    assert len(loaded.colleges) == 6 and 200 <= loaded.staff <= 400
    assert loaded.visit_logs > 5000 and loaded.team_gaps >= 20
