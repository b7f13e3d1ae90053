"""The province on one PostgreSQL, at a fraction of its size: 50 universities are 1.5 M
students (150k special) and 50k staff; `--universities 5` (the default) is the 1/10 scale.

Per university: 30,000 students, of them 3,000 special with full 1+1+1 teams and 2 contacts
each (tests/fakes/big_school.py; its peer mentors count among the ordinary students) and
1,000 staff; everyone has a WeCom account; the universities are told apart by `college`
(CareBot has no tenant column: one deployment is one roster). Loading is not timed. Timed, in
a scratch database on the server that is dropped afterwards, through the runtime the clock
process uses (its reader, its transactions): the daily due evaluation (`due_for` in a job's
context, as the digest calls it); the digests (`send_digests`: recorded and queued, one per
person with something due); and a broadcast from a school admin to every student (compose,
确认发送: the audience resolved and one outbox row per student queued, not sent). Reported:
seconds, counts, database size after each step and the process's peak RSS, and the
figures extrapolated to 10 times the size with the assumptions they rest on
(docs/deploy.md discusses them). Prints one JSON object.

Usage: python bench/scale.py [--universities 5] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.fakes holds the roster generator the tests use

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

from bot.runtime import Runtime, open_runtime  # noqa: E402
from bot.schedule import jobs  # noqa: E402
from handlers.access.identity import Identity  # noqa: E402
from handlers.outreach import broadcast  # noqa: E402
from handlers.outreach.line import Request  # noqa: E402
from handlers.reminders.items import due_for  # noqa: E402
from storage.crypto import new_key  # noqa: E402
from storage.db import make_engine, make_sessionmaker, session_scope  # noqa: E402
from storage.models import MessengerAccount, OutboxMessage, Person, PersonRole  # noqa: E402
from storage.people.categories import sync_categories  # noqa: E402
from tests.fakes.big_school import CHUNK, build_school  # noqa: E402
from tests.fakes.clock import FakeClock  # noqa: E402
from tests.fakes.wecom_callbacks import fake_server, wecom_settings  # noqa: E402

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SCRATCH_DB = "carebot_bench_scale"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai, outside quiet hours
PROVINCE = 50
STUDENTS, SPECIAL, STAFF = 30_000, 3_000, 1_000  # per university
ADMIN_ID = 1
NOTICE = "全省高校学生资助政策宣传月活动将于下周开始，请关注学校通知"


async def load(engine: AsyncEngine, universities: int) -> dict[str, int]:
    """The province's roster (see the module docstring); the counts loaded."""
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    async with session_scope(make_sessionmaker(engine)) as session:
        await sync_categories(session)
    school = await build_school(engine, students=SPECIAL * universities, now=NOW)
    first = school.students.stop
    ordinary = STUDENTS * universities - len(school.students) - len(school.peers)
    extra_staff = STAFF * universities - len(school.staff)
    extra = range(first, first + ordinary + extra_staff)
    await _insert(engine, Person, _extra_people(extra, ordinary))
    admin = {"id": ADMIN_ID, "kind": "staff", "code": "ADMIN", "name": "ADMIN"}
    await _insert(engine, Person, iter([{**admin, "created_at": NOW, "updated_at": NOW}]))
    await _insert(engine, PersonRole, iter([{"person_id": ADMIN_ID, "role": "school_admin"}]))
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE person SET college = :prefix || (id % :n)"),
            {"prefix": "大学", "n": universities},
        )
        ids = (await connection.execute(select(Person.id))).scalars().all()
    await _insert(engine, MessengerAccount, _accounts(ids))
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("ANALYZE"))
    return {
        "students": STUDENTS * universities,
        "special": len(school.students),
        "staff": len(school.staff) + extra_staff,
        "people": len(ids),
    }


def _extra_people(ids: range, ordinary: int) -> Iterator[dict[str, Any]]:
    for n, id_ in enumerate(ids):
        student = n < ordinary
        yield {
            **{"id": id_, "kind": "student" if student else "staff", "name": f"P{id_}"},
            **{"code": f"{'BX' if student else 'BY'}{id_}", "class_name": f"C{id_ % 900}"},
            **{"graduation_year": 2027 + id_ % 4 if student else None},
            **{"created_at": NOW, "updated_at": NOW},
        }


def _accounts(ids: Any) -> Iterator[dict[str, Any]]:
    for id_ in ids:
        yield {"person_id": id_, "channel": "wecom", "account": f"u{id_}", "account_key": f"u{id_}"}


async def _insert(engine: AsyncEngine, model: type[SQLModel], rows: Iterator[Any]) -> None:
    statement = insert(model)
    while chunk := [row for _, row in zip(range(CHUNK), rows, strict=False)]:
        async with engine.begin() as connection:
            await connection.execute(statement, chunk)


async def measure(runtime: Runtime) -> dict[str, Any]:
    results: dict[str, Any] = {"size_loaded_mb": await _size_mb(runtime)}
    async with session_scope(runtime.sessions) as session:
        started = time.perf_counter()
        board = await due_for(jobs.context_for(runtime, session))
        results["due_evaluation"] = {
            "seconds": round(time.perf_counter() - started, 2),
            "people_with_items": len(board),
            "items": sum(len(items) for items in board.values()),
        }
    started = time.perf_counter()
    digests = await jobs.send_digests(runtime, on_demand=True)
    results["digests"] = {
        "seconds": round(time.perf_counter() - started, 2),
        "people": digests,
        "outbox_rows": await _outbox_rows(runtime),
        "size_after_mb": await _size_mb(runtime),
    }
    before = await _outbox_rows(runtime)
    started = time.perf_counter()
    reply = await _broadcast(runtime)
    results["broadcast"] = {
        "seconds": round(time.perf_counter() - started, 2),
        "outbox_rows": await _outbox_rows(runtime) - before,
        "reply": reply[:40],
        "size_after_mb": await _size_mb(runtime),
    }
    return results


async def _broadcast(runtime: Runtime) -> str:
    """A school admin's 群发 to every student, confirmed: queued, not sent."""
    async with session_scope(runtime.sessions) as session:
        ctx = jobs.context_for(runtime, session)
        admin = await session.get(Person, ADMIN_ID)
        assert admin is not None
        who = Identity(person=admin, roles=frozenset({"school_admin"}), conversing=False)
        await broadcast.compose(ctx, who, "wecom", Request("角色=学生", NOTICE, "资助", False))
        [reply] = await broadcast.confirm(ctx, who, override=False)
    return reply.text


async def _outbox_rows(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(OutboxMessage))).one()[0])


async def _size_mb(runtime: Runtime) -> float:
    async with runtime.engine.connect() as connection:
        size = await connection.execute(text("SELECT pg_database_size(current_database())"))
        return round(int(size.scalar() or 0) / 2**20, 1)


def extrapolate(measured: dict[str, Any], universities: int) -> dict[str, Any]:
    """The province (PROVINCE universities) from the measured run, linearly."""
    factor = PROVINCE / universities
    due, digests, sent = measured["due_evaluation"], measured["digests"], measured["broadcast"]
    return {
        "factor": factor,
        "due_evaluation_seconds": round(due["seconds"] * factor, 1),
        "digests_seconds": round(digests["seconds"] * factor, 1),
        "digest_people": round(digests["people"] * factor),
        "broadcast_queue_seconds": round(sent["seconds"] * factor, 1),
        "broadcast_outbox_rows": round(sent["outbox_rows"] * factor),
        "database_mb_after_broadcast": round(sent["size_after_mb"] * factor),
        "wecom_calls_identical_broadcast": round(sent["outbox_rows"] * factor / 1000),
        "assumptions": [
            "time and size grow linearly with people (set-wise queries over indexed tables, "
            "one row per recipient); PostgreSQL keeps the working set in memory",
            "one evaluation, digest run and broadcast at a time (the single clock runs them)",
            "the broadcast is queued, not sent: delivery is bound by the platform "
            "(WeCom 1,000 users per call, 30 messages per member per minute)",
            "visit logs: 2 per special student (a semester's end has about 20: more rows "
            "for the evaluation to read)",
        ],
    }


async def _scratch(pg_url: str, *, create: bool) -> str:
    engine = make_engine(pg_url, data_key=new_key())
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)'))
        if create:
            await autocommit.execute(text(f'CREATE DATABASE "{SCRATCH_DB}"'))
    await engine.dispose()
    return make_url(pg_url).set(database=SCRATCH_DB).render_as_string(hide_password=False)


async def main(universities: int, pg_url: str) -> dict[str, Any]:
    key = new_key()
    url = await _scratch(pg_url, create=True)
    try:
        engine = make_engine(url, data_key=key)
        started = time.perf_counter()
        loaded = await load(engine, universities)
        load_seconds = time.perf_counter() - started
        await engine.dispose()
        clock = FakeClock(NOW)
        fake = fake_server(clock)
        settings = wecom_settings(url, key, broadcast_approval_over=10**9)
        async with open_runtime(settings, clock=clock, transport=fake.transport()) as runtime:
            measured = await measure(runtime)
    finally:
        await _scratch(pg_url, create=False)
    return {
        "universities": universities,
        "loaded": {**loaded, "seconds": round(load_seconds, 1)},
        "measured": measured,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        f"extrapolated_to_{PROVINCE}": extrapolate(measured, universities),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--universities", type=int, default=5)
    parser.add_argument("--pg-url", default=DEFAULT_PG, help=f"server; uses db {SCRATCH_DB}")
    args = parser.parse_args()
    report = asyncio.run(main(args.universities, args.pg_url))
    print(json.dumps(report, ensure_ascii=False, indent=2))
