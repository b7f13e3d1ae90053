"""`carebot broadcast`: a dry run previews and stores nothing; a real run queues the rows;
the access rules are the chat's."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlmodel import select

from storage.db import make_engine, make_sessionmaker, session_scope
from storage.models import Broadcast, OutboxMessage
from tests.bot.cli.in_process import carebot
from tests.conftest import DATA_KEY
from tests.fakes.roster import make_staff, make_student


def _carebot(*args: object, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return carebot(*args, env=env)


async def test_dry_run_then_send_then_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = os.environ | {
        "CAREBOT_DATA_KEY": DATA_KEY,
        "CAREBOT_DATABASE_URL": url,
        "CAREBOT_SIMULATOR": "true",
    }
    assert _carebot("db", "upgrade", env=env).returncode == 0
    engine = make_engine(url, data_key=DATA_KEY)
    async with session_scope(make_sessionmaker(engine)) as session:
        await make_staff(session, code="A1", roles=("school_admin",))
        await make_staff(session, code="M1", roles=("academic_mentor",))
        for code in ("S1", "S2"):
            await make_student(session, code=code, college="机械工程学院")
        await make_student(session, code="S3", college="计算机学院")
    ids = tmp_path / "ids.txt"
    ids.write_text("S1\nS3\n", encoding="utf-8")

    base = ("broadcast", "--as", "A1", "--text", "{{姓名}}同学，明天体检")
    dry = _carebot(*base, "--filter", "学院=机械工程学院", "--dry-run", env=env)
    # --urgent: the real clock may be in quiet hours, which would hold the send (tested elsewhere)
    listed = _carebot(*base, "--ids", ids, "--urgent", env=env)
    refused = _carebot("broadcast", "--as", "M1", "--text", "开会", env=env)

    assert dry.returncode == 0, dry.stderr
    assert "收件人：2 人" in dry.stdout and "张三同学，明天体检" in dry.stdout
    assert listed.returncode == 0, listed.stderr
    assert "共 2 人" in listed.stdout
    assert "无权限" in refused.stdout
    async with make_sessionmaker(engine)() as session:
        [broadcast] = (await session.exec(select(Broadcast))).all()
        rows = (await session.exec(select(OutboxMessage))).all()
    await engine.dispose()
    assert broadcast.status == "queued"
    assert len(rows) == 2
