"""The whole demo university as specs of rows, built from a seed without touching a database."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from storage.demo.cases import CaseMaker, CaseSpec, make_cases
from storage.demo.data import College, demo_data
from storage.demo.people import NameMaker, PersonSpec, StudentMaker, make_students
from storage.demo.staff import Staff, StaffMaker, make_staff
from storage.demo.teams import Reserved, Team, TeamMaker, mark_network, mark_peer_mentors
from storage.demo.visits import VisitMaker, VisitSpec, make_visits

MIN_STUDENTS = 50
STUDENTS_PER_COLLEGE = 500
DEFAULT_COLLEGES = 3
LAG_SHARE = 0.15


@dataclass
class DemoPlan:
    colleges: tuple[str, ...]
    students: list[PersonSpec]
    staff: Staff
    reserved: Reserved
    teams: list[Team] = field(default_factory=list)
    peers: list[PersonSpec] = field(default_factory=list)
    gaps: list[tuple[PersonSpec, str]] = field(default_factory=list)
    cases: list[CaseSpec] = field(default_factory=list)
    visits: list[VisitSpec] = field(default_factory=list)

    @property
    def people(self) -> list[PersonSpec]:
        return self.staff.people + self.students


def academic_year(now: datetime, tz: ZoneInfo) -> int:
    """The year the current academic year began (it starts in September)."""
    local = now.astimezone(tz)
    return local.year if local.month >= 9 else local.year - 1


def build_demo(
    *, now: datetime, students: int, seed: int, categories: Mapping[str, str], tz: ZoneInfo
) -> DemoPlan:
    """Everything the demo inserts; the same seed and `now` always give the same plan."""
    _check(now=now, students=students, categories=categories)
    data, year = demo_data(), academic_year(now, tz)
    colleges = data.colleges[: _college_count(students, len(data.colleges))]
    names = NameMaker(_rng(seed, "names"), data)
    maker = StudentMaker(_rng(seed, "students"), data, names)
    pupils = make_students(maker, colleges=colleges, total=students, year=year)
    staff = make_staff(StaffMaker(_rng(seed, "staff"), names), colleges=colleges, students=pupils)
    reserved = _reserved(pupils, colleges[0], year)
    plan = DemoPlan(tuple(c.name for c in colleges), pupils, staff, reserved)
    _teams(plan, TeamMaker(_rng(seed, "teams"), data, reserved, year), codes=list(categories))
    cases = CaseMaker(_rng(seed, "cases"), data, now, tz, categories)
    plan.cases = make_cases(cases, plan.teams, reserved=reserved)
    lagging = _lagging(_rng(seed, "lagging"), plan)
    visits = VisitMaker(_rng(seed, "visits"), data, now, tz, year, lagging)
    plan.visits = sorted(make_visits(visits, plan.teams), key=lambda v: v.occurred_at)
    return plan


def _check(*, now: datetime, students: int, categories: Mapping[str, str]) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if students < MIN_STUDENTS:
        raise ValueError(f"the demo needs at least {MIN_STUDENTS} students")
    if not categories:
        raise ValueError("the category table is empty; run `carebot db upgrade` first")


def _rng(seed: int, phase: str) -> random.Random:
    """One generator per phase, so changing one phase leaves the others' draws alone."""
    return random.Random(f"{seed}:{phase}")


def _college_count(students: int, available: int) -> int:
    return min(available, max(DEFAULT_COLLEGES, students // STUDENTS_PER_COLLEGE))


def _reserved(students: Sequence[PersonSpec], college: College, year: int) -> Reserved:
    """The first three sophomores of the first college: special, peer mentor, ordinary."""
    by_code = {s.code: s for s in students}
    prefix = f"{year - 1}{college.number:02d}"
    special, peer, ordinary = (by_code[f"{prefix}{serial:04d}"] for serial in (1, 2, 3))
    return Reserved(special=special, peer=peer, ordinary=ordinary)


def _teams(plan: DemoPlan, maker: TeamMaker, *, codes: Sequence[str]) -> None:
    special = maker.special(plan.students)
    maker.categories(special, codes)
    maker.key_attention(special)
    plan.teams = maker.teams(plan.staff, students=plan.students, special=special)
    plan.gaps = maker.gaps(plan.teams)
    plan.peers = mark_peer_mentors(plan.teams)
    mark_network(plan.students)


def _lagging(rng: random.Random, plan: DemoPlan) -> frozenset[int]:
    """Helpers who fall behind: some at random, and always T0004 (an academic mentor) and
    T0002 (a counsellor), so that the demo's counsellor has overdue talks and dorm visits and
    gets a morning digest (the default policy reminds the student-affairs teacher)."""
    authors = dict.fromkeys(id(p) for t in plan.teams for p in t.seats.values())
    lagging = {a for a in authors if rng.random() < LAG_SHARE}
    first = next(iter(plan.staff.colleges.values()))
    lagging.add(id(first.mentors[0]))
    lagging.add(id(first.counsellors[0]))
    return frozenset(lagging)
