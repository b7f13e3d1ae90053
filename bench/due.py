"""Benchmark the set-wise due/overdue evaluation (storage.due.evaluate) on SQLite and PostgreSQL.

For each size N: N special students with full 1+1+1 teams (N/8 staff, peer mentors from N/4
ordinary students), 20 visit logs each over the last 120 days, weekly reports for the
key-attention ones; everyone was on the roster before the semester began. Loading is not
timed. Timed, best of 3 after a warm-up (each from a collected heap, as a service that does not
hold the previous answer would be): `due_items` for the default rule set as the digest calls it
(`due_now`, upcoming=0), looking a week ahead (`week_ahead`, upcoming=7 days: on this day, the
last week of the semester and of the month, every rule's query runs and most items are due),
and a week ahead for one student-affairs teacher as `待办` asks (`one_person`). SQLite runs on
the inline driver the service uses (plain `sqlite://`). Prints one JSON object.

Usage: python bench/due.py [--sizes 10000,50000,100000] [--databases sqlite,postgresql]
                           [--pg-url URL] [--without-indexes]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from storage.crypto import new_key
from storage.db import make_engine, make_sessionmaker, session_scope
from storage.due.evaluate import WEEKLY_REPORT, RuleQuery, Scope, due_items
from storage.models import (
    Assignment,
    Person,
    StudentCategory,
    VisitLog,
    WeeklyReport,
)
from storage.people.categories import sync_categories

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 1, 25, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)
SEMESTER = (datetime(2026, 9, 7, tzinfo=SHANGHAI), datetime(2027, 1, 31, tzinfo=SHANGHAI))
MONTH = (datetime(2027, 1, 1, tzinfo=SHANGHAI), datetime(2027, 2, 1, tzinfo=SHANGHAI))
WEEK = (datetime(2027, 1, 25, tzinfo=SHANGHAI), datetime(2027, 2, 1, tzinfo=SHANGHAI))
GRADUATING = 2027
JOINED = datetime(2026, 8, 31, tzinfo=SHANGHAI).astimezone(UTC)  # the roster's import
ONE_PERSON = 2  # the first student-affairs teacher (staff ids from 1, teachers every other)


class Scenario(NamedTuple):
    upcoming: timedelta
    person_id: int | None = None  # None: the whole school


SCENARIOS = {
    "due_now": Scenario(timedelta(0)),
    "week_ahead": Scenario(timedelta(days=7)),
    "one_person": Scenario(timedelta(days=7), ONE_PERSON),
}
TARGET_SIZE, TARGET_SECONDS = 50_000, 1.0
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SCRATCH_DB = "carebot_bench"
CHUNK = 20_000
LOGS_PER_STUDENT, WINDOW_DAYS = 20, 120
CATEGORIES = ("financial_hardship", "psychological", "academic_difficulty", "orphan", "disabled")
TEAM = ("academic_mentor", "student_affairs", "peer_mentor")
# Who writes a student's logs ("other": staff outside the team) and which kinds each writes.
AUTHORS = {"student_affairs": 45, "academic_mentor": 25, "peer_mentor": 27, "other": 3}
KINDS = {
    "student_affairs": {
        "谈心谈话": 35,
        "走访寝室": 30,
        "电话/线上联系": 15,
        "家长联系": 10,
        "心理疏导": 5,
        "经济资助": 5,
    },
    "academic_mentor": {"学业辅导": 45, "谈心谈话": 35, "就业指导": 20},
    "peer_mentor": {"谈心谈话": 50, "学习陪伴": 35, "其他": 15},
    "other": {"谈心谈话": 50, "心理疏导": 50},
}
# The index the evaluation needs beyond the models' own (see storage/due/evaluate.py).
INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_visit_log_kind_student"
    " ON visit_log (kind, student_id, occurred_at, author_id)",
)


def default_rules() -> tuple[RuleQuery, ...]:
    """The seeds' defaults, as the policy handlers translate them."""
    return (
        RuleQuery("talk", "student_affairs", TEAM, ("谈心谈话",), Scope(), every_days=15),
        _paced("dorm", "student_affairs", ("student_affairs",), "走访寝室", 2, MONTH),
        _paced("weekly", "student_affairs", None, WEEKLY_REPORT, 1, WEEK, key_only=True),
        _paced("tutoring", "academic_mentor", ("academic_mentor",), "学业辅导", 1, SEMESTER),
        _paced("psych", "student_affairs", None, "心理疏导", 1, SEMESTER),
        _paced("employment", "academic_mentor", None, "就业指导", 1, MONTH, year=GRADUATING),
    )


def _paced(
    rule_id: str,
    seat: str,
    counted: tuple[str, ...] | None,
    kind: str,
    times: int,
    period: tuple[datetime, datetime],
    *,
    key_only: bool = False,
    year: int | None = None,
) -> RuleQuery:
    scope = Scope(key_attention_only=key_only, graduation_year=year)
    start, end = period
    return RuleQuery(
        rule_id, seat, counted, (kind,), scope, times=times, period_start=start, period_end=end
    )


class Roster:
    """Person ids by group, assigned here so that inserts need no RETURNING."""

    def __init__(self, size: int, rng: random.Random) -> None:
        self.staff = range(1, size // 8 + 1)
        self.peers = range(self.staff.stop, self.staff.stop + size // 4)
        self.special = range(self.peers.stop, self.peers.stop + size)
        self.key = {s for s in self.special if rng.random() < 0.1}
        mentors, teachers = self.staff[::2], self.staff[1::2]
        self.teams = {
            student: dict(zip(TEAM, _pick(rng, mentors, teachers, self.peers), strict=True))
            for student in self.special
        }


def _pick(rng: random.Random, *groups: range) -> Iterator[int]:
    return (rng.choice(group) for group in groups)


def people(roster: Roster, rng: random.Random) -> Iterator[dict[str, Any]]:
    for id_ in roster.staff:
        yield _person(id_, "staff", f"T{id_:07d}", None)
    for id_ in roster.peers:
        yield _person(id_, "student", f"P{id_:07d}", rng.randint(2027, 2029))
    for id_ in roster.special:
        year = rng.randint(2027, 2030)
        yield _person(id_, "student", f"S{id_:07d}", year, key=id_ in roster.key)


def _person(id_: int, kind: str, code: str, year: int | None, key: bool = False) -> dict[str, Any]:
    """Only plain columns: the encrypted ones stay NULL so loading stays fast."""
    return {
        **{"id": id_, "kind": kind, "code": code, "name": code, "college": "计算机学院"},
        **{"key_attention": key, "graduation_year": year},
        **{"created_at": JOINED, "updated_at": JOINED},
    }


def categories(roster: Roster, rng: random.Random) -> Iterator[dict[str, Any]]:
    for student in roster.special:
        for code in rng.sample(CATEGORIES, rng.choice((1, 1, 1, 2))):
            yield {"student_id": student, "category_code": code}


def seats(roster: Roster) -> Iterator[dict[str, Any]]:
    for student, team in roster.teams.items():
        for role, mentor in team.items():
            yield {"student_id": student, "role": role, "mentor_id": mentor}


def visit_logs(roster: Roster, rng: random.Random) -> Iterator[dict[str, Any]]:
    authors = list(AUTHORS)
    for student, team in roster.teams.items():
        for seat in rng.choices(authors, list(AUTHORS.values()), k=LOGS_PER_STUDENT):
            kinds = KINDS[seat]
            at = NOW - timedelta(seconds=rng.uniform(0, WINDOW_DAYS * 86400))
            yield {
                "student_id": student,
                "author_id": team.get(seat) or rng.choice(roster.staff),
                "kind": rng.choices(list(kinds), list(kinds.values()))[0],
                "occurred_at": at,
                "created_at": at,
            }


def weekly_reports(roster: Roster, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Most weeks' reports, written on the Friday (this week's is still to come)."""
    this_monday = NOW.astimezone(SHANGHAI).date()
    this_monday -= timedelta(days=this_monday.weekday())
    for student in roster.key:
        author = roster.teams[student]["student_affairs"]
        for week in range(WINDOW_DAYS // 7):
            if rng.random() < 0.85:
                yield _report(student, author, this_monday - timedelta(weeks=week))


def _report(student: int, author: int, monday: date) -> dict[str, Any]:
    written = datetime.combine(monday + timedelta(days=4), clock_time(17), SHANGHAI)
    return {
        **{"student_id": student, "author_id": author, "week_start": monday},
        **{"status": "稳定", "contacts": 1, "created_at": written.astimezone(UTC)},
    }


async def load(engine: AsyncEngine, size: int, *, seed: int) -> None:
    rng = random.Random(seed)
    roster = Roster(size, rng)
    await _insert(engine, Person, people(roster, rng))
    await _insert(engine, StudentCategory, categories(roster, rng))
    await _insert(engine, Assignment, seats(roster))
    await _insert(engine, VisitLog, visit_logs(roster, rng))
    await _insert(engine, WeeklyReport, weekly_reports(roster, rng))


async def _insert(engine: AsyncEngine, model: type[SQLModel], rows: Iterable[Any]) -> None:
    """One executemany per chunk of rows, one transaction per chunk."""
    iterator, statement = iter(rows), insert(model)
    while chunk := [row for _, row in zip(range(CHUNK), iterator, strict=False)]:
        async with engine.begin() as connection:
            await connection.execute(statement, chunk)


async def prepare(engine: AsyncEngine, *, indexes: bool) -> None:
    """Indexes, then fresh statistics. PostgreSQL also gets VACUUM: index-only scans need the
    visibility map, which autovacuum keeps current on a live database."""
    async with engine.begin() as connection:
        for statement in INDEXES if indexes else ():
            await connection.execute(text(statement))
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        vacuum = "" if engine.dialect.name == "sqlite" else "VACUUM "
        await autocommit.execute(text(f"{vacuum}ANALYZE"))


async def measure(engine: AsyncEngine, scenario: str) -> dict[str, Any]:
    """Best of 3 after a warm-up, each call in its own session."""
    sessions, rules, best = make_sessionmaker(engine), default_rules(), float("inf")
    upcoming, person = SCENARIOS[scenario]
    counts: Counter[str] = Counter()
    for attempt in range(4):
        gc.collect()
        async with session_scope(sessions) as session:
            started = time.perf_counter()
            items = await due_items(session, rules, now=NOW, upcoming=upcoming, person_id=person)
            elapsed = time.perf_counter() - started
        best = min(best, elapsed) if attempt else best
        counts = Counter(item.rule_id for item in items)
        del items
    by_rule = {rule.rule_id: counts[rule.rule_id] for rule in rules}
    return {"seconds": round(best, 4), "items": counts.total(), "items_by_rule": by_rule}


async def fresh_engine(database: str, *, pg_url: str, workdir: Path) -> AsyncEngine:
    """An empty database with the schema and categories (a new SQLite file per run)."""
    if database == "sqlite":
        url = f"sqlite:///{workdir / f'due-{time.monotonic_ns()}.db'}"
    else:
        url = await _recreate_pg(pg_url)
    engine = make_engine(url, data_key=new_key())
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    async with session_scope(make_sessionmaker(engine)) as session:
        await sync_categories(session)
    return engine


async def _recreate_pg(pg_url: str) -> str:
    """The scratch database on the server of `pg_url`, never the database it names."""
    await _drop_pg(pg_url, then=f'CREATE DATABASE "{SCRATCH_DB}"')
    return make_url(pg_url).set(database=SCRATCH_DB).render_as_string(hide_password=False)


async def _drop_pg(pg_url: str, *, then: str | None = None) -> None:
    engine = make_engine(pg_url, data_key=new_key())
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)'))
        if then:
            await autocommit.execute(text(then))
    await engine.dispose()


async def run_one(
    database: str, size: int, *, args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    engine = await fresh_engine(database, pg_url=args.pg_url, workdir=workdir)
    try:
        started = time.perf_counter()
        await load(engine, size, seed=args.seed)
        await prepare(engine, indexes=not args.without_indexes)
        generated = round(time.perf_counter() - started, 1)
        timings = {name: await measure(engine, name) for name in SCENARIOS}
    finally:
        await engine.dispose()
        if database != "sqlite":
            await _drop_pg(args.pg_url)
    return {**timings.pop("due_now"), **timings, "generate_seconds": generated}


Results = dict[int, dict[str, dict[str, Any]]]


def summary(results: Results, databases: Sequence[str]) -> dict[str, Any]:
    """time(100k)/time(10k) ÷ 10 (1 is linear) and the 50k target, per school-wide scenario."""
    out: dict[str, Any] = {"linear_ratio": {}, "meets_target": {}}
    for scenario in (name for name, case in SCENARIOS.items() if case.person_id is None):
        for database in databases:
            small, large, middle = (
                _seconds(results, size, database, scenario) for size in (10_000, 100_000, 50_000)
            )
            ratio = round(large / small / 10, 3) if small and large else None
            target = middle < TARGET_SECONDS if middle is not None else None
            out["linear_ratio"].setdefault(scenario, {})[database] = ratio
            out["meets_target"].setdefault(scenario, {})[database] = target
    return out


def _seconds(results: Results, size: int, database: str, scenario: str) -> float | None:
    outcome = results.get(size, {}).get(database)
    if outcome is None:
        return None
    return float(outcome["seconds"] if scenario == "due_now" else outcome[scenario]["seconds"])


def _describe(case: Scenario) -> str:
    person = "" if case.person_id is None else f", person_id={case.person_id}"
    return f"upcoming={case.upcoming.days} days{person}"


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time storage.due.evaluate on generated rosters.")
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help=f"server; uses db {SCRATCH_DB}")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--without-indexes", action="store_true")
    return parser.parse_args(argv)


async def main(argv: Sequence[str]) -> None:
    args = parse(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    databases = [name.strip() for name in args.databases.split(",")]
    results: Results = {}
    with tempfile.TemporaryDirectory(prefix="carebot-due-") as workdir:
        for size in sizes:
            for database in databases:
                outcome = await run_one(database, size, args=args, workdir=Path(workdir))
                results.setdefault(size, {})[database] = outcome
                print(f"{size} {database}: {outcome}", file=sys.stderr)
    report = {
        "now": NOW.isoformat(),
        "scenarios": {name: _describe(case) for name, case in SCENARIOS.items()},
        "rules": [rule.rule_id for rule in default_rules()],
        "indexes": [] if args.without_indexes else list(INDEXES),
        "results": results,
        **summary(results, databases),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
