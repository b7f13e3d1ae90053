"""Benchmark broadcasts: resolving a school-wide audience, then sending identical and
personalised content through the real outbox sender and WeCom client to the fake WeCom API,
and identical content through the real DingTalk client to the fake DingTalk OpenAPI.

A school of N students (default 30,000) with WeCom accounts is bulk-inserted (not timed) on
SQLite. Timed: `audience.resolve` for everyone; queueing and delivering an identical notice
(counting WeCom message/send calls: at most ceil(N/1000)); queueing and delivering a
personalised one ({{姓名}}: one call per person), as messages per second. The fake keeps its
per-member limit (each person gets one message per run). Then the same school with DingTalk
accounts instead (its own database, not timed) is sent the identical notice through the
DingTalk channel (counting robot oToMessages/batchSend calls: at most ceil(N/20), and how many
students the fake reached). Peak RSS of the process after the WeCom sends, and again at the
end. Prints one JSON object.

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
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.fakes: the fakes

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
from tests.fakes.dingtalk import BATCH_SEND, FakeDingTalkServer
from tests.fakes.dingtalk_app import dingtalk_settings
from tests.fakes.wecom_callbacks import fake_server, wecom_settings

ADMIN = 1
CHUNK = 10_000
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, outside quiet hours
IDENTICAL = "本周五下午三点在体育馆开年级大会，请准时参加"
PERSONAL = "{{姓名}}同学，本周六上午体检，请带学生证"


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


async def _load(engine: AsyncEngine, students: int, channel: str) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    await _insert(engine, Person, _people(students))
    await _insert(engine, PersonRole, iter([{"person_id": ADMIN, "role": "school_admin"}]))
    accounts = (
        {"person_id": pid, "channel": channel, "account": f"u{pid}", "account_key": f"u{pid}"}
        for pid in range(ADMIN, ADMIN + students + 1)
    )
    await _insert(engine, MessengerAccount, accounts)


async def _send(
    runtime: Any, channel: str, calls: Callable[[], int], content: str
) -> dict[str, Any]:
    """Queue `content` to everyone as the admin on `channel` and deliver it; `calls` counts
    the fake's message-send calls so far."""
    before = calls()
    started = time.perf_counter()
    async with session_scope(runtime.sessions) as session:
        ctx = context_for(runtime, session)
        admin = await session.get(Person, ADMIN)
        assert admin is not None
        who = Identity(person=admin, roles=frozenset({"school_admin"}), conversing=False)
        await broadcast.compose(ctx, who, channel, Request("", content, "活动", False))
        [reply] = await broadcast.confirm(ctx, who, override=False)
    queued = time.perf_counter()
    sent = await runtime.outbox.drain()
    done = time.perf_counter()
    return {
        "queued": sent,
        "queue_seconds": round(queued - started, 3),
        "deliver_seconds": round(done - queued, 3),
        f"{channel}_calls": calls() - before,
        "messages_per_second": round(sent / (done - queued), 1) if done > queued else None,
        "reply": reply.text[:40],
    }


async def _dingtalk(folder: str, key: str, students: int) -> dict[str, Any]:
    """The identical notice to the same school on DingTalk, through the real DingTalk sender
    and API client to the fake DingTalk OpenAPI (in process, as the channel tests drive it)."""
    url = f"sqlite:///{Path(folder) / 'bench-dingtalk.db'}"
    engine = make_engine(url, data_key=key)
    await _load(engine, students, "dingtalk")
    async with session_scope(make_sessionmaker(engine)) as s:
        await sync_categories(s)
    await engine.dispose()
    clock = FakeClock(NOW)
    fake = FakeDingTalkServer(clock=clock)
    settings = dingtalk_settings(url, key, fake).model_copy(
        update={"broadcast_approval_over": 10**9}
    )
    transport = httpx.ASGITransport(app=fake)
    async with open_runtime(settings, clock=clock, transport=transport) as runtime:
        sent = await _send(runtime, "dingtalk", lambda: len(fake.calls_to(BATCH_SEND)), IDENTICAL)
    students_reached = {d.user for d in fake.deliveries} - {f"u{ADMIN}"}
    largest = max((len(c.body["userIds"]) for c in fake.calls_to(BATCH_SEND)), default=0)
    return {
        **sent,
        "students_reached": len(students_reached),
        "largest_call_user_ids": largest,
        "token_calls": fake.token_calls,
    }


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def main(students: int) -> dict[str, Any]:
    key = new_key()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url, data_key=key)
        await _load(engine, students, "wecom")
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

        def wecom_calls() -> int:
            return len(fake.sends())

        async with open_runtime(settings, clock=clock, transport=fake.transport()) as runtime:
            identical = await _send(runtime, "wecom", wecom_calls, IDENTICAL)
            personal = await _send(runtime, "wecom", wecom_calls, PERSONAL)
        rss_mb = _peak_rss_mb()  # the WeCom sends only, as before the DingTalk run was added
        dingtalk = await _dingtalk(folder, key, students)
    return {
        "students": students,
        "recipients": len(found.recipients),
        "resolve_seconds": round(resolve_seconds, 3),
        "identical": identical,
        "identical_wecom_call_limit": math.ceil(students / 1000),
        "personalised": personal,
        "identical_dingtalk": dingtalk,
        "identical_dingtalk_call_limit": math.ceil(students / 20),
        "peak_rss_mb": rss_mb,
        "peak_rss_mb_with_dingtalk": _peak_rss_mb(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=30_000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.students)), ensure_ascii=False, indent=2))
