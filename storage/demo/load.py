"""Demo data: a synthetic university with 1+1+1 teams, case files and 60 days of visits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.demo.people import PersonSpec
from storage.demo.plan import DemoPlan, build_demo
from storage.models import (
    Assignment,
    CaseFile,
    Category,
    Channel,
    MessengerAccount,
    Person,
    PersonRole,
    Role,
    StudentCategory,
    VisitLog,
)
from storage.people.accounts import account_key
from storage.people.categories import sync_categories

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_SEED = 2026
DEFAULT_STUDENTS = 300


class DemoError(Exception):
    """The demo cannot be loaded here."""


class DatabaseNotEmptyError(DemoError):
    """The demo only loads into a database without people."""


@dataclass(frozen=True)
class WellKnown:
    """A person worth trying in the simulator; `key` says what for (a role or `special`)."""

    key: str
    code: str
    name: str
    college: str | None
    students: int


@dataclass(frozen=True)
class DemoSummary:
    colleges: tuple[str, ...]
    students: int
    special: int
    key_attention: int
    staff: int
    peer_mentors: int
    team_gaps: int
    case_files: int
    plans_missing: int
    visit_logs: int
    visits_by_kind: Mapping[str, int]
    risk_logs: int
    well_known: tuple[WellKnown, ...]


async def has_people(session: AsyncSession) -> bool:
    return (await session.exec(select(Person.id).limit(1))).first() is not None


async def load_demo(
    session: AsyncSession,
    *,
    now: datetime,
    students: int = DEFAULT_STUDENTS,
    seed: int = DEFAULT_SEED,
    tz: ZoneInfo = SHANGHAI,
) -> DemoSummary:
    """Insert the demo university into an empty database; the caller commits."""
    if await has_people(session):
        raise DatabaseNotEmptyError("the person table already has rows")
    categories = await _category_names(session)
    plan = build_demo(now=now, students=students, seed=seed, categories=categories, tz=tz)
    await _insert(session, plan, now=now)
    return summarize(plan)


async def _category_names(session: AsyncSession) -> dict[str, str]:
    query = select(Category.code, Category.name).order_by(
        col(Category.sort_order), col(Category.code)
    )
    rows = (await session.exec(query)).all()
    if not rows:
        await sync_categories(session)
        rows = (await session.exec(query)).all()
    return dict(rows)


async def _insert(session: AsyncSession, plan: DemoPlan, *, now: datetime) -> None:
    people = plan.people
    returning = insert(Person).returning(col(Person.id), col(Person.code))
    result = await session.exec(returning, params=[p.row(now) for p in people])
    ids: dict[str, int] = {code: id_ for id_, code in result.all()}
    await _bulk(session, PersonRole, _role_rows(people, ids))
    await _bulk(session, StudentCategory, _category_rows(people, ids))
    await _bulk(session, MessengerAccount, _account_rows(people, ids))
    await _bulk(session, Assignment, _assignment_rows(plan, ids))
    await _bulk(session, CaseFile, [c.row(ids, now=now) for c in plan.cases])
    await _bulk(session, VisitLog, [v.row(ids) for v in plan.visits])


async def _bulk(session: AsyncSession, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """One executemany per table: thousands of rows without a flush per row."""
    if rows:
        await session.exec(insert(model), params=rows)


def _role_rows(people: Sequence[PersonSpec], ids: Mapping[str, int]) -> list[dict[str, Any]]:
    return [{"person_id": ids[p.code], "role": role} for p in people for role in p.roles]


def _category_rows(people: Sequence[PersonSpec], ids: Mapping[str, int]) -> list[dict[str, Any]]:
    return [{"student_id": ids[p.code], "category_code": c} for p in people for c in p.categories]


def _account_rows(people: Sequence[PersonSpec], ids: Mapping[str, int]) -> list[dict[str, Any]]:
    rows = []
    for person in people:
        for channel, account in (
            (Channel.WECOM, person.wecom),
            (Channel.DINGTALK, person.dingtalk),
        ):
            if account:
                row = {"channel": channel, "account": account, "account_key": account_key(account)}
                rows.append({"person_id": ids[person.code], **row})
    return rows


def _assignment_rows(plan: DemoPlan, ids: Mapping[str, int]) -> list[dict[str, Any]]:
    return [
        {"student_id": ids[t.student.code], "role": seat, "mentor_id": ids[mentor.code]}
        for t in plan.teams
        for seat, mentor in t.seats.items()
    ]


def summarize(plan: DemoPlan) -> DemoSummary:
    """Counts of what the plan holds, and the people to try first."""
    return DemoSummary(
        colleges=plan.colleges,
        students=len(plan.students),
        special=len(plan.teams),
        key_attention=sum(t.student.key_attention for t in plan.teams),
        staff=len(plan.staff.people),
        peer_mentors=len(plan.peers),
        team_gaps=len(plan.gaps),
        case_files=len(plan.cases),
        plans_missing=sum(c.plan is None for c in plan.cases),
        visit_logs=len(plan.visits),
        visits_by_kind=dict(Counter(v.kind for v in plan.visits).most_common()),
        risk_logs=sum(v.risk for v in plan.visits),
        well_known=_well_known(plan),
    )


def _well_known(plan: DemoPlan) -> tuple[WellKnown, ...]:
    first = next(iter(plan.staff.colleges.values()))
    reserved = plan.reserved
    picks = (
        (Role.SCHOOL_ADMIN, plan.staff.school[0]),
        (Role.COUNSELLOR, first.counsellors[0]),
        (Role.COLLEGE_ADMIN, first.admin),
        (Role.ACADEMIC_MENTOR, first.mentors[0]),
        (Role.PEER_MENTOR, reserved.peer),
        ("special", reserved.special),
        (Role.STUDENT, reserved.ordinary),
    )
    load = Counter(id(m) for t in plan.teams for m in t.seats.values())
    return tuple(
        WellKnown(key=str(key), code=p.code, name=p.name, college=p.college, students=load[id(p)])
        for key, p in picks
    )
