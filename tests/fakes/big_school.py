"""A school-sized roster for load tests, bulk-inserted in seconds: special students with full
1+1+1 teams and a few contacts each, as the shipped policy's rules count them.

Ids are assigned here (from ID_BASE, far above what the other factories' rows get) so the
inserts need no RETURNING; only plain columns are filled (the encrypted ones stay NULL).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from storage.models import Assignment, Person, StudentCategory, VisitLog

ID_BASE = 1_000_000
CHUNK = 20_000
JOINED = datetime(2026, 8, 31, tzinfo=UTC)  # the roster's import, before the semester
TEAM = ("academic_mentor", "student_affairs", "peer_mentor")
KINDS = ("谈心谈话", "走访寝室", "学业辅导", "心理疏导", "电话/线上联系")
CATEGORIES = ("financial_hardship", "psychological", "orphan", "disabled")


@dataclass(frozen=True, slots=True)
class School:
    students: range
    staff: range
    peers: range


async def build_school(
    engine: AsyncEngine, *, students: int, now: datetime, logs: int = 2, seed: int = 2026
) -> School:
    """`students` special students, staff (one per 8) and peer mentors (one per 4), each
    student with `logs` contacts in the 60 days before `now`."""
    rng = random.Random(seed)
    staff = range(ID_BASE, ID_BASE + max(students // 8, 2))
    peers = range(staff.stop, staff.stop + max(students // 4, 1))
    school = School(range(peers.stop, peers.stop + students), staff, peers)
    await _insert(engine, Person, _people(school, rng))
    await _insert(engine, StudentCategory, _categories(school, rng))
    await _insert(engine, Assignment, _seats(school, rng))
    await _insert(engine, VisitLog, _visits(school, rng, now=now, logs=logs))
    await _analyze(engine)
    return school


def _people(school: School, rng: random.Random) -> Iterator[dict[str, Any]]:
    for id_ in school.staff:
        yield _person(id_, "staff", f"BT{id_}", None)
    for id_ in school.peers:
        yield _person(id_, "student", f"BP{id_}", rng.randint(2027, 2029))
    for id_ in school.students:
        yield _person(id_, "student", f"BS{id_}", rng.randint(2027, 2030), rng.random() < 0.1)


def _person(id_: int, kind: str, code: str, year: int | None, key: bool = False) -> dict[str, Any]:
    return {
        **{"id": id_, "kind": kind, "code": code, "name": code, "college": "计算机学院"},
        **{"class_name": f"计科{id_ % 40:02d}", "key_attention": key, "graduation_year": year},
        **{"created_at": JOINED, "updated_at": JOINED},
    }


def _categories(school: School, rng: random.Random) -> Iterator[dict[str, Any]]:
    for student in school.students:
        yield {"student_id": student, "category_code": rng.choice(CATEGORIES)}


def _seats(school: School, rng: random.Random) -> Iterator[dict[str, Any]]:
    mentors, teachers = school.staff[::2], school.staff[1::2]
    for student in school.students:
        for role, group in zip(TEAM, (mentors, teachers, school.peers), strict=True):
            yield {"student_id": student, "role": role, "mentor_id": rng.choice(group)}


def _visits(
    school: School, rng: random.Random, *, now: datetime, logs: int
) -> Iterator[dict[str, Any]]:
    for student in school.students:
        for _ in range(logs):
            at = now - timedelta(seconds=rng.uniform(0, 60 * 86400))
            author = rng.choice(school.staff)
            yield {
                **{"student_id": student, "author_id": author, "kind": rng.choice(KINDS)},
                **{"occurred_at": at, "created_at": at},
            }


async def _insert(engine: AsyncEngine, model: type[SQLModel], rows: Iterable[Any]) -> None:
    """One executemany per chunk of rows, one transaction per chunk."""
    iterator, statement = iter(rows), insert(model)
    while chunk := [row for _, row in zip(range(CHUNK), iterator, strict=False)]:
        async with engine.begin() as connection:
            await connection.execute(statement, chunk)


async def _analyze(engine: AsyncEngine) -> None:
    """Fresh statistics, as a live database has them (the planners pick by them)."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("ANALYZE"))
