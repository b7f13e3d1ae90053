"""Benchmark the statistics (handlers.reports.stats.gather: the figures of 统计, `carebot
stats` and the yearly summary, the overdue list included) on SQLite.

A school of 30,000 students in 5 colleges: 3,000 special ones with a full 1+1+1 team and 20
visit logs each (tests/fakes/big_school.py), a fifth of the logs with an effect assessment,
and 27,000 ordinary students. Loading is not timed. Timed, best of 3 after a warm-up, on a
read-only engine as the reader runs it: the whole school and one college. Prints one JSON
object.

Usage: python bench/stats.py [--students 30000] [--special 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from handlers.context import Context, HandlerConfig
from handlers.policy.load import load_policy
from handlers.reports.stats import default_range, gather, scope_of
from storage.crypto import new_key
from storage.db import make_engine, make_sessionmaker, session_scope
from storage.models import Person
from storage.people.categories import sync_categories

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.fakes: the roster
from tests.fakes.big_school import build_school

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, tzinfo=TZ)
COLLEGES = ("计算机学院", "文学院", "数学学院", "外国语学院", "体育学院")
EFFECTS = ("明显好转", "有所改善", "保持稳定", "无明显变化", "有所恶化")
ORDINARY_BASE = 5_000_000


async def _load(engine: AsyncEngine, *, students: int, special: int) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    async with session_scope(make_sessionmaker(engine)) as session:
        await sync_categories(session)
    await build_school(engine, students=special, now=NOW, logs=20)
    joined = datetime(2026, 8, 31, tzinfo=UTC)
    rows = [
        {"id": ORDINARY_BASE + n, "kind": "student", "code": f"BO{n}", "name": f"BO{n}",
         "college": COLLEGES[n % len(COLLEGES)], "created_at": joined, "updated_at": joined}
        for n in range(students - special)
    ]  # fmt: skip
    async with engine.begin() as connection:
        await connection.execute(insert(Person), rows)
        spread = " ".join(f"WHEN {n} THEN '{c}'" for n, c in enumerate(COLLEGES))
        await connection.execute(text(f"UPDATE person SET college = CASE id % 5 {spread} END"))
        marks = " ".join(f"WHEN {n} THEN '{e}'" for n, e in enumerate(EFFECTS))
        await connection.execute(
            text(f"UPDATE visit_log SET effect = CASE (id / 5) % 5 {marks} END WHERE id % 5 = 0")
        )
        await connection.execute(text("ANALYZE"))


async def _best(run: Callable[[], Awaitable[Any]], *, rounds: int = 3) -> tuple[float, Any]:
    await run()  # warm-up
    best, result = float("inf"), None
    for _ in range(rounds):
        started = time.perf_counter()
        result = await run()
        best = min(best, time.perf_counter() - started)
    return best, result


async def main(students: int, special: int) -> dict[str, Any]:
    key = new_key()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url, data_key=key)
        await _load(engine, students=students, special=special)
        await engine.dispose()
        reader = make_engine(url, data_key=key, read_only=True)
        config = HandlerConfig(tz=TZ, hotline="x", policy=load_policy())
        timings: dict[str, Any] = {}
        for name, college in (("school", None), ("college", COLLEGES[0])):

            async def run(college: str | None = college) -> Any:
                async with make_sessionmaker(reader)() as session:
                    ctx = Context(session, NOW.astimezone(UTC), config)
                    first, last = default_range(ctx)
                    return await gather(ctx, scope_of(ctx, college=college, first=first, last=last))

            seconds, stats = await _best(run)
            timings[name] = {"seconds": round(seconds, 3), "students": stats.students,
                             "overdue_people": len(stats.overdue)}  # fmt: skip
        await reader.dispose()
    return {"benchmark": "stats", "students": students, "special": special,
            "logs_per_special": 20, **timings}  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=30_000)
    parser.add_argument("--special", type=int, default=3_000)
    options = parser.parse_args()
    print(json.dumps(asyncio.run(main(options.students, options.special)), ensure_ascii=False))
