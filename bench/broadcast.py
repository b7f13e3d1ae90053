"""Benchmark broadcasts: resolving a school-wide audience, then sending identical and
personalised content through the real outbox sender and WeCom client to the fake WeCom API.

A school of N students (default 30,000) with WeCom accounts is bulk-inserted (not timed) on
SQLite. Timed: `audience.resolve` for everyone; queueing and delivering an identical notice
(counting WeCom message/send calls: at most ceil(N/1000)); queueing and delivering a
personalised one ({{姓名}}: one call per person), as messages per second. The fake keeps its
per-member limit (each person gets one message per run). Peak RSS of the process at the end.
Prints one JSON object.

Usage: python bench/broadcast.py [--students 30000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.fakes: the fake WeCom

from bot.runtime import open_runtime
from bot.schedule.jobs import context_for
from handlers.access.identity import Identity
from handlers.outreach import broadcast
from handlers.outreach.line import Request
from storage.crypto import new_key
from storage.db import make_engine, make_sessionmaker, session_scope
from storage.models import MessengerAccount, Person, PersonRole
from storage.outreach.audience import Filters, Scope, resolve
from storage.people.categories import sync_categories
from storage.people.identify import AccountMatch
from tests.fakes.clock import FakeClock
from tests.fakes.wecom import FakeWeComServer
from tests.fakes.wecom_callbacks import fake_server, wecom_settings

ADMIN = 1
CHUNK = 10_000
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, outside quiet hours


def _people(students: int) -> Iterator[dict[str, Any]]:
    yield _person(ADMIN, "staff", "ADMIN")
    for n in range(students):
        yield _person(ADMIN + 1 + n, "student", f"S{n:06d}")


def _person(id_: int, kind: str, code: str) -> dict[str, Any]:
    return {
        **{"id": id_, "kind": kind, "code": code, "name": f"同学{id_}", "college": "计算机学院"},
        **{"grade": "2023", "graduation_year": 2027, "key_attention": False},
        **{"created_at": NOW, "updated_at": NOW},
    }


async def _insert(engine: AsyncEngine, model: type[SQLModel], rows: Iterator[Any]) -> None:
    statement = insert(model)
    while chunk := [row for _, row in zip(range(CHUNK), rows, strict=False)]:
        async with engine.begin() as connection:
            await connection.execute(statement, chunk)


async def _load(engine: AsyncEngine, students: int) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    await _insert(engine, Person, _people(students))
    await _insert(engine, PersonRole, iter([{"person_id": ADMIN, "role": "school_admin"}]))
    accounts = (
        {"person_id": pid, "channel": "wecom", "account": f"u{pid}", "account_key": f"u{pid}"}
        for pid in range(ADMIN, ADMIN + students + 1)
    )
    await _insert(engine, MessengerAccount, accounts)


async def _send(runtime: Any, fake: FakeWeComServer, content: str) -> dict[str, Any]:
    before = len(fake.sends())
    started = time.perf_counter()
    async with session_scope(runtime.sessions) as session:
        ctx = context_for(runtime, session)
        admin = await session.get(Person, ADMIN)
        assert admin is not None
        who = Identity(person=admin, roles=frozenset({"school_admin"}), conversing=False)
        await broadcast.compose(ctx, who, "wecom", Request("", content, "活动", False))
        [reply] = await broadcast.confirm(ctx, who, override=False)
    queued = time.perf_counter()
    sent = await runtime.outbox.drain()
    done = time.perf_counter()
    return {
        "queued": sent,
        "queue_seconds": round(queued - started, 3),
        "deliver_seconds": round(done - queued, 3),
        "wecom_calls": len(fake.sends()) - before,
        "messages_per_second": round(sent / (done - queued), 1) if done > queued else None,
        "reply": reply.text[:40],
    }


async def main(students: int) -> dict[str, Any]:
    key = new_key()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url, data_key=key)
        await _load(engine, students)
        async with session_scope(make_sessionmaker(engine)) as s:
            await sync_categories(s)
            started = time.perf_counter()
            found = await resolve(
                s, Filters(), within=Scope(everyone=True), topic="活动",
                channels={"wecom": AccountMatch.MESSENGER_ACCOUNT}, now=NOW,
            )  # fmt: skip
            resolve_seconds = time.perf_counter() - started
        await engine.dispose()
        clock = FakeClock(NOW)
        users = tuple(f"u{pid}" for pid in range(ADMIN, ADMIN + students + 1))
        fake = fake_server(clock, *users)
        settings = wecom_settings(url, key, broadcast_approval_over=10**9)
        async with open_runtime(settings, clock=clock, transport=fake.transport()) as runtime:
            identical = await _send(runtime, fake, "本周五下午三点在体育馆开年级大会，请准时参加")
            personal = await _send(runtime, fake, "{{姓名}}同学，本周六上午体检，请带学生证")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "students": students,
        "recipients": len(found.recipients),
        "resolve_seconds": round(resolve_seconds, 3),
        "identical": identical,
        "identical_wecom_call_limit": math.ceil(students / 1000),
        "dingtalk_call_limit_identical": math.ceil(students / 20),
        "personalised": personal,
        "peak_rss_mb": round(rss_mb, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=30_000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.students)), ensure_ascii=False, indent=2))
