"""Benchmark the ledger export (storage.reports.ledger_rows.ledger_workbook) on SQLite.

A school of 30,000 students in 5 colleges: 3,000 special ones with a full 1+1+1 team, an open
case file with a plan, a described problem per ledger category, phones and guardians
(encrypted, as in production), 20 visit logs each over the semester with effect assessments,
and an aid decision for one in three. Loading is not timed. Timed, best of 3 after a warm-up,
on a read-only engine as the reader runs it: the whole school's workbook (target < 10 s) and
one college's (target < 2 s), query and xlsx together. Prints one JSON object.

Usage: python bench/exports.py [--students 30000] [--special 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from storage.crypto import new_key
from storage.db import make_engine, make_sessionmaker, session_scope
from storage.exports.watermark import watermark
from storage.models import (
    AidApplication,
    Assignment,
    CaseFile,
    CaseProblem,
    Person,
    StudentCategory,
    VisitLog,
)
from storage.people.categories import sync_categories
from storage.reports.ledger_cells import LedgerHead
from storage.reports.ledger_rows import LedgerScope, ledger_workbook

TZ = ZoneInfo("Asia/Shanghai")
START, END = datetime(2026, 9, 7, tzinfo=TZ), datetime(2027, 1, 18, tzinfo=TZ)
NOW = datetime(2027, 1, 10, 10, tzinfo=TZ)
COLLEGES = ("计算机学院", "文学院", "数学学院", "外国语学院", "体育学院")
LEDGER = (
    "financial_hardship",
    "academic_difficulty",
    "psychological",
    "internet_addiction",
    "physical_condition",
    "discipline",
    "other",
)
GROUPS = ("orphan", "disabled", "subsistence_allowance", "poverty_alleviated")
KINDS = ("谈心谈话", "走访寝室", "学业辅导", "心理疏导", "电话/线上联系", "家长联系")
EFFECTS = ("明显好转", "有所改善", "保持稳定", "无明显变化", "有所恶化")
LOGS, CHUNK, TARGETS = 20, 20_000, {"school_s": 10.0, "college_s": 2.0}
JOINED = datetime(2026, 8, 31, tzinfo=UTC)


def _people(students: int, special: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    staff = max(special // 8, 10)
    for id_ in range(1, staff + 1):
        yield _person(id_, "staff", f"T{id_:06d}", phone=f"139{id_:08d}")
    for id_ in range(staff + 1, staff + students + 1):
        yield _person(id_, "student", f"S{id_:08d}", phone=f"135{id_:08d}", guardian=rng.random())


def _person(id_: int, kind: str, code: str, *, phone: str, guardian: float = 0) -> dict[str, Any]:
    return {
        "id": id_,
        "kind": kind,
        "code": code,
        "name": f"学生{id_}",
        "gender": "男",
        "college": COLLEGES[(id_ // 7) % len(COLLEGES)],
        "class_name": f"班{id_ % 200:03d}",
        "dorm": f"东区{id_ % 30}栋{id_ % 500}",
        "phone": phone,
        "guardian_name": "家长" if guardian else None,
        "guardian_phone": f"137{id_:08d}",
        "key_attention": guardian < 0.1,
        "created_at": JOINED,
        "updated_at": JOINED,
    }


def _special(students: int, special: int) -> tuple[range, range, list[int]]:
    staff = range(1, max(special // 8, 10) + 1)
    pupils = range(staff.stop, staff.stop + students)
    return staff, pupils, list(pupils[:: max(students // special, 1)][:special])


def _rows(students: int, special: int, rng: random.Random) -> dict[type[SQLModel], Iterable[Any]]:
    staff, pupils, chosen = _special(students, special)
    peers = [p for p in pupils if p not in set(chosen)][: special // 4]
    return {
        Person: _people(students, special, rng),
        StudentCategory: [
            {"student_id": s, "category_code": code}
            for s in chosen
            for code in {rng.choice(LEDGER), *((rng.choice(GROUPS),) if rng.random() < 0.3 else ())}
        ],
        Assignment: [
            {"student_id": s, "role": role, "mentor_id": rng.choice(group)}
            for s in chosen
            for role, group in zip(
                ("academic_mentor", "student_affairs", "peer_mentor"),
                (staff, staff, peers),
                strict=True,
            )
        ],
        CaseFile: [_case(s) for s in chosen],
        CaseProblem: [
            {
                "student_id": s,
                "category_code": code,
                "description": "家庭困难，需要关注",
                "updated_at": JOINED,
            }
            for s in chosen
            for code in LEDGER[:1]
        ],
        VisitLog: _logs(chosen, staff, rng),
        AidApplication: [
            {
                "student_id": s,
                "status": rng.choice(("approved", "declined")),
                "decided_at": START + timedelta(days=30),
                "created_at": START,
            }
            for s in chosen[::3]
        ],
    }


def _case(student: int) -> dict[str, Any]:
    return {
        "student_id": student,
        "opened_at": JOINED,
        "updated_at": JOINED,
        "status": "open",
        "plan_academic": "每周学业辅导一次",
        "plan_psych": "每月谈心",
        "plan_financial": "申请助学金",
    }


def _logs(chosen: list[int], staff: range, rng: random.Random) -> Iterator[dict[str, Any]]:
    span = (END - START).total_seconds()
    for student in chosen:
        for _ in range(LOGS):
            at = (START + timedelta(seconds=rng.uniform(0, span))).astimezone(UTC)
            yield {
                "student_id": student,
                "author_id": rng.choice(staff),
                "kind": rng.choice(KINDS),
                "occurred_at": at,
                "created_at": at,
                "place": "办公室",
                "effect": rng.choice(EFFECTS) if rng.random() < 0.6 else None,
            }


async def _load(engine: AsyncEngine, students: int, special: int) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    async with session_scope(make_sessionmaker(engine)) as session:
        await sync_categories(session)
    for model, rows in _rows(students, special, random.Random(2026)).items():
        iterator = iter(rows)
        while chunk := [row for _, row in zip(range(CHUNK), iterator, strict=False)]:
            async with engine.begin() as connection:
                await connection.execute(insert(model), chunk)
    async with engine.connect() as connection:
        await (await connection.execution_options(isolation_level="AUTOCOMMIT")).execute(
            text("ANALYZE")
        )


async def _time(engine: AsyncEngine, college: str | None) -> tuple[float, int, int]:
    scope = LedgerScope("2026-2027学年第一学期", START, END, college, TZ)
    head = LedgerHead(2026, NOW.date(), watermark(name="管理员", code="A001", at=NOW), TZ)
    best, size, count = float("inf"), 0, 0
    for _ in range(4):  # a warm-up, then best of 3
        gc.collect()
        started = time.perf_counter()
        async with make_sessionmaker(engine)() as session:
            data, count = await ledger_workbook(session, scope, head)
        best, size = min(best, time.perf_counter() - started), len(data)
    return best, count, size


async def main(students: int, special: int) -> dict[str, Any]:
    key = new_key()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url, data_key=key)
        await _load(engine, students, special)
        await engine.dispose()
        reader = make_engine(url, data_key=key, read_only=True)
        school, school_rows, school_bytes = await _time(reader, None)
        college, college_rows, _ = await _time(reader, COLLEGES[0])
        await reader.dispose()
    return {
        "students": students,
        "special": special,
        "logs_per_student": LOGS,
        "school_s": round(school, 3),
        "school_students": school_rows,
        "school_xlsx_bytes": school_bytes,
        "college_s": round(college, 3),
        "college_students": college_rows,
        "targets_s": TARGETS,
        "ok": school < TARGETS["school_s"] and college < TARGETS["college_s"],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=30_000)
    parser.add_argument("--special", type=int, default=3_000)
    options = parser.parse_args()
    print(json.dumps(asyncio.run(main(options.students, options.special)), ensure_ascii=False))
