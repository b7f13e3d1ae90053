"""Demo data: a synthetic university with 1+1+1 teams, case files and 60 days of visits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.demo.grades import DemoSemester, load_demo_grades
from storage.demo.plan import DemoPlan, build_demo
from storage.demo.visits import WINDOW_DAYS
from storage.models import (
    CaseFile,
    CaseProblem,
    Category,
    Channel,
    Person,
    PersonKind,
    Role,
    VisitLog,
)
from storage.people.categories import sync_categories
from storage.roster.importer import write_records
from storage.roster.rows import Record
from storage.roster.sheet import Sheet
from storage.roster.state import PERSON_FIELDS

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
    semesters: Sequence[DemoSemester] = (),
) -> DemoSummary:
    """Insert the demo university into an empty database; the caller commits. `semesters`:
    the policy's (name, start), for the demo grades (default: the shipped policy file's)."""
    if await has_people(session):
        raise DatabaseNotEmptyError("the person table already has rows")
    categories = await _category_names(session)
    plan = build_demo(now=now, students=students, seed=seed, categories=categories, tz=tz)
    await _insert(session, plan, now=now)
    await load_demo_grades(session, plan, now=now, tz=tz, seed=seed, semesters=semesters)
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
    """People, roles, categories, accounts and teams go through the roster's own checks and
    writer, dated from the start of the visit history (the clocks run as in a school that has
    used CareBot for a while); case files and the visit history are bulk rows of their own."""
    since = now - timedelta(days=WINDOW_DAYS)
    await write_records(session, _records(plan), now=since)
    people = await session.exec(select(Person.code, Person.id))
    ids: dict[str, int] = {code: id_ for code, id_ in people.all() if id_ is not None}
    await _bulk(session, CaseFile, [c.row(ids, now=now) for c in plan.cases])
    problems = [row for case in plan.cases for row in case.problem_rows(ids, now=now)]
    await _bulk(session, CaseProblem, problems)
    await _bulk(session, VisitLog, [v.row(ids) for v in plan.visits])


async def _bulk(session: AsyncSession, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """One executemany per table: thousands of rows without a flush per row."""
    if rows:
        await session.exec(insert(model), params=rows)


def _records(plan: DemoPlan) -> list[Record]:
    """The demo's people as the roster import reads them from a file."""
    sheets = {kind: Sheet(0, "demo", kind, [], []) for kind in PersonKind}
    teams = {id(t.student): t for t in plan.teams}
    records = []
    for row, person in enumerate(plan.people, start=1):
        team = teams.get(id(person))
        records.append(
            Record(
                sheets[person.kind],
                row,
                code=person.code,
                fields={name: getattr(person, name) for name in PERSON_FIELDS},
                roles=frozenset(person.roles),
                categories=frozenset(person.categories),
                team={seat: m.code for seat, m in team.seats.items()} if team else {},
                accounts={Channel.WECOM: person.wecom, Channel.DINGTALK: person.dingtalk},
            )
        )
    return records


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
