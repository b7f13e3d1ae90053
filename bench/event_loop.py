"""How long /healthz takes while a school-wide due evaluation runs, with the evaluation on the
event loop ("inline": the session, as before issue 11) and on the runtime's reader ("reader":
its own connection and loop in a thread, storage/reading.py).

A generated school (N special students with full 1+1+1 teams, 2 contacts each, see
tests/fakes/big_school.py) is loaded once per database; then, per mode and round, the
digest's evaluation (`due_for` through a scheduled job's context) runs while /healthz is
asked every 20 ms through the app in process (httpx.ASGITransport: what is measured is the
event loop, not a network). Reported per mode: the evaluation's seconds, healthz latencies
during it (median, p90, max, count) and the garbage collector's longest pause in that time
(a full collection stops every thread, the loop's included), and whether the reader mode's
slowest /healthz meets issue 11's 200 ms (the test suite asserts only that no probe waits
for the evaluation: tests/bot/test_event_loop.py). Prints one JSON object.

Usage: python bench/event_loop.py [--students 100000] [--databases sqlite,postgresql]
                                  [--rounds 3] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.fakes holds the roster generator the tests use

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.schedule import jobs  # noqa: E402
from bot.settings import Settings  # noqa: E402
from handlers.reminders.items import due_for  # noqa: E402
from storage.crypto import new_key  # noqa: E402
from storage.db import make_engine, make_sessionmaker, session_scope  # noqa: E402
from storage.people.categories import sync_categories  # noqa: E402
from tests.fakes.big_school import build_school  # noqa: E402
from tests.fakes.clock import SHANGHAI, FakeClock  # noqa: E402

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SCRATCH_DB = "carebot_bench_loop"
PROBE_EVERY = 0.02
NOW = FakeClock().now().astimezone(SHANGHAI)  # Monday 2026-11-23 09:00, mid-semester


class Pauses:
    """The garbage collector's pauses (any thread), as (start, end) perf_counter pairs."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float]] = []
        self._start = 0.0

    def __call__(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.spans.append((self._start, time.perf_counter()))

    def longest(self, began: float, ended: float) -> float:
        inside = [end - start for start, end in self.spans if began <= start <= ended]
        return max(inside, default=0.0)


async def evaluate(runtime: Runtime, *, inline: bool) -> tuple[float, float, int]:
    """The digest job's evaluation; (start, end, reminders)."""
    async with session_scope(runtime.sessions) as session:
        ctx = jobs.context_for(runtime, session)
        began = time.perf_counter()
        board = await due_for(replace(ctx, reader=None) if inline else ctx)
        ended = time.perf_counter()
    return began, ended, sum(len(items) for items in board.values())


async def one_round(
    runtime: Runtime, client: httpx.AsyncClient, pauses: Pauses, *, inline: bool
) -> dict[str, Any]:
    gc.collect()
    samples: list[tuple[float, float]] = []
    task = asyncio.create_task(evaluate(runtime, inline=inline))
    while not task.done():
        started = time.perf_counter()
        response = await client.get("/healthz")
        samples.append((started, time.perf_counter()))
        response.raise_for_status()
        await asyncio.sleep(PROBE_EVERY)
    began, ended, reminders = await task
    during = sorted(end - start for start, end in samples if start < ended and end > began)
    return {
        "evaluation_seconds": round(ended - began, 3),
        "reminders": reminders,
        "healthz_during": len(during),
        "healthz_median_ms": _ms(statistics.median(during)) if during else None,
        "healthz_p90_ms": _ms(during[int(len(during) * 0.9)]) if during else None,
        "healthz_max_ms": _ms(during[-1]) if during else None,
        "longest_gc_pause_ms": _ms(pauses.longest(began, ended)),
    }


HEALTHZ_TARGET_MS = 200.0  # issue 11: /healthz within 200 ms while the school is evaluated


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def measure(url: str, *, rounds: int, data_key: str) -> dict[str, Any]:
    settings = Settings(database_url=url, data_key=data_key, simulator=True)
    app = create_app(settings, clock=FakeClock(NOW), run_outbox=False)
    pauses = Pauses()
    gc.callbacks.append(pauses)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                results: dict[str, Any] = {}
                for mode in ("inline", "reader"):
                    runs = [
                        await one_round(app.state.runtime, client, pauses, inline=mode == "inline")
                        for _ in range(rounds)
                    ]
                    results[mode] = {"rounds": runs}
                worst = max(run["healthz_max_ms"] or 0.0 for run in results["reader"]["rounds"])
                results["reader"]["healthz_target_ms"] = HEALTHZ_TARGET_MS
                results["reader"]["meets_target"] = worst < HEALTHZ_TARGET_MS
    finally:
        gc.callbacks.remove(pauses)
    return results


async def prepare(
    database: str, *, students: int, pg_url: str, workdir: Path, data_key: str
) -> str:
    """An empty database with the schema and the generated school; its URL."""
    if database == "sqlite":
        url = f"sqlite:///{workdir / 'loop.db'}"
    else:
        await _scratch(pg_url, create=True)
        url = make_url(pg_url).set(database=SCRATCH_DB).render_as_string(hide_password=False)
    engine = make_engine(url, data_key=data_key)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
        async with session_scope(make_sessionmaker(engine)) as session:
            await sync_categories(session)
        await build_school(engine, students=students, now=NOW)
    finally:
        await engine.dispose()
    return url


async def _scratch(pg_url: str, *, create: bool) -> None:
    engine = make_engine(pg_url, data_key=new_key())
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)'))
        if create:
            await autocommit.execute(text(f'CREATE DATABASE "{SCRATCH_DB}"'))
    await engine.dispose()


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="healthz latency during a due evaluation")
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg-url", default=DEFAULT_PG, help=f"server; uses db {SCRATCH_DB}")
    return parser.parse_args(argv)


async def main(argv: Sequence[str]) -> None:
    args = parse(argv)
    report: dict[str, Any] = {"students": args.students, "now": NOW.isoformat(), "results": {}}
    with tempfile.TemporaryDirectory(prefix="carebot-loop-") as workdir:
        for database in (name.strip() for name in args.databases.split(",")):
            key = new_key()
            url = await prepare(
                database,
                students=args.students,
                pg_url=args.pg_url,
                workdir=Path(workdir),
                data_key=key,
            )
            try:
                outcome = await measure(url, rounds=args.rounds, data_key=key)
            finally:
                if database != "sqlite":
                    await _scratch(args.pg_url, create=False)
            report["results"][database] = outcome
            print(f"{database}: {json.dumps(outcome)}", file=sys.stderr)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
