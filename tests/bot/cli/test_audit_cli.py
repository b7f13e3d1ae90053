"""`carebot audit` through the real entry point on a migrated SQLite file: filters, the three
formats, Chinese errors, its own audit row; the log refuses UPDATE and DELETE."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from storage import audit
from storage.db import make_engine, make_sessionmaker, session_scope
from storage.models import AuditEntry
from tests.bot.cli.in_process import carebot
from tests.conftest import DATA_KEY
from tests.fakes.roster import make_staff, make_student


@pytest.fixture
async def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    env = os.environ | {"CAREBOT_DATA_KEY": DATA_KEY, "CAREBOT_DATABASE_URL": url}
    assert carebot("db", "upgrade", env=env).returncode == 0
    engine = make_engine(url, data_key=DATA_KEY)
    async with session_scope(make_sessionmaker(engine)) as session:
        mentor = await make_staff(session, name="王老师", code="T100")
        zhang = await make_student(session, name="张三", code="S001")
        li = await make_student(session, name="李四", code="S002")
        for action, at, actor, subject in (
            ("export_ledger", datetime(2026, 11, 1, 1, 0, tzinfo=UTC), mentor, None),
            # 00:30 on 11-02 in Shanghai, still 11-01 in UTC
            ("denied_view_student", datetime(2026, 11, 1, 16, 30, tzinfo=UTC), li, zhang),
            ("case_file_viewed", datetime(2026, 11, 3, 2, 0, tzinfo=UTC), mentor, zhang),
        ):
            await audit.record(session, action=action, at=at, actor_id=actor.id,
                               subject_id=subject.id if subject else None,
                               channel="wecom", detail="college=计算机学院")  # fmt: skip
        await audit.record(session, action="unknown_account", channel="wecom", account="zz9",
                           at=datetime(2026, 11, 4, tzinfo=UTC))  # fmt: skip
    await engine.dispose()
    return env


async def _actions(env: dict[str, str]) -> list[tuple[str, str | None]]:
    engine = make_engine(env["CAREBOT_DATABASE_URL"], data_key=DATA_KEY)
    async with session_scope(make_sessionmaker(engine)) as session:
        rows = (await session.exec(select(AuditEntry).order_by(AuditEntry.id))).all()  # type: ignore[arg-type]
    await engine.dispose()
    return [(row.action, row.detail) for row in rows]


async def test_text_lists_every_entry_oldest_last_under_chinese_headings(
    env: dict[str, str],
) -> None:
    done = carebot("audit", env=env)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "时间 | 操作人 | 操作 | 涉及学生 | 渠道 | 说明"
    assert lines[1].startswith("2026-11-01 09:00:00 | T100 王老师 | export_ledger | - | wecom")
    assert lines[2].startswith("2026-11-02 00:30:00 | S002 李四 | denied_view_student | S001 张三")
    assert "case_file_viewed" in lines[3] and "未知账号 zz9" in lines[4]
    assert lines[5] == "共 4 条。"
    assert (await _actions(env))[-1] == ("audit_query", "format=text")


async def test_filters_and_the_json_and_csv_formats(env: dict[str, str]) -> None:
    by_person = carebot("audit", "--person", "T100", "--format", "json", env=env)
    about = carebot(
        "audit", "--student", "S001", "--since", "2026-11-02", "--format", "csv", env=env
    )
    one_action = carebot("audit", "--action", "export_ledger", env=env)
    nothing = carebot("audit", "--action", "keys_rotate", env=env)

    records = json.loads(by_person.stdout)
    assert [r["action"] for r in records] == ["export_ledger", "case_file_viewed"]
    assert records[0] == {
        "at": "2026-11-01T09:00:00+08:00",
        "actor_code": "T100",
        "actor_name": "王老师",
        "action": "export_ledger",
        "subject_code": None,
        "channel": "wecom",
        "account": None,
        "detail": "college=计算机学院",
    }
    rows = list(csv.DictReader(io.StringIO(about.stdout)))
    assert [(r["action"], r["subject_code"]) for r in rows] == [
        ("denied_view_student", "S001"),
        ("case_file_viewed", "S001"),
    ]
    assert one_action.stdout.count("export_ledger") == 1
    assert nothing.stdout.strip() == "没有符合条件的审计记录。"
    assert (await _actions(env))[-4:] == [
        ("audit_query", "person=T100 format=json"),
        ("audit_query", "student=S001 since=2026-11-02 format=csv"),
        ("audit_query", "action=export_ledger format=text"),
        ("audit_query", "action=keys_rotate format=text"),
    ]


async def test_unknown_people_bad_dates_and_formats_end_with_one_chinese_line(
    env: dict[str, str],
) -> None:
    stranger = carebot("audit", "--person", "X999", env=env)
    no_student = carebot("audit", "--student", "S404", env=env)
    bad_day = carebot("audit", "--since", "11/02", env=env)
    bad_format = carebot("audit", "--format", "xml", env=env)

    assert [r.returncode for r in (stranger, no_student, bad_day, bad_format)] == [2, 2, 2, 2]
    assert stranger.stderr.strip() == "carebot audit：--person 给出的工号或学号「X999」不在名单中。"
    assert "学号「S404」不在名单中" in no_student.stderr
    assert "11/02" in bad_day.stderr and "年-月-日" in bad_day.stderr
    assert "text、json、csv" in bad_format.stderr
    assert all(action != "audit_query" for action, _ in await _actions(env))


async def test_the_migrated_log_refuses_changes_but_a_person_can_still_be_deleted(
    env: dict[str, str],
) -> None:
    engine = make_engine(env["CAREBOT_DATABASE_URL"], data_key=DATA_KEY)
    refused = []
    for statement in (
        "UPDATE audit_log SET detail = 'changed'",
        "UPDATE audit_log SET actor_id = (SELECT id FROM person WHERE code = 'S001')",
        "DELETE FROM audit_log",
    ):
        try:
            async with engine.begin() as connection:
                await connection.execute(text(statement))
        except IntegrityError as exc:
            refused.append("append-only" in str(exc))
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM person WHERE code = 'T100'"))
    await engine.dispose()

    assert refused == [True, True, True]
    done = carebot("audit", "--action", "export_ledger", "--format", "json", env=env)
    assert json.loads(done.stdout)[0]["actor_code"] is None
