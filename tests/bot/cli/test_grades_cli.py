"""`carebot grades import` and `grades retakes` through the real entry point: the summary, a
refused file's row/column problems, the warnings queued once, and the retakes of a college."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlmodel import select

from storage.db import make_engine, make_sessionmaker, session_scope
from storage.models import OutboxMessage
from tests.bot.cli.in_process import carebot
from tests.conftest import DATA_KEY
from tests.fakes.roster import make_staff, make_student
from tests.storage.academic.books import grade_row, grades_book


def _carebot(*args: object, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return carebot(*args, env=env)


async def test_import_twice_then_a_bad_file_then_the_retakes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = os.environ | {
        "CAREBOT_DATA_KEY": DATA_KEY,
        "CAREBOT_DATABASE_URL": url,
        "CAREBOT_SIMULATOR": "true",
    }
    assert _carebot("db", "upgrade", env=env).returncode == 0
    engine = make_engine(url, data_key=DATA_KEY)
    async with session_scope(make_sessionmaker(engine)) as session:
        mentor = await make_staff(session, code="M1", roles=("academic_mentor",))
        counsellor = await make_staff(session, code="C1")
        peer = await make_student(session, code="P1", name="朋辈")
        team = {"academic_mentor": mentor, "student_affairs": counsellor, "peer_mentor": peer}
        await make_student(session, code="S1", name="张三", categories=("orphan",), team=team)
        await make_student(session, code="S2", name="李四")
    good = grades_book(tmp_path / "good.xlsx", [
        grade_row("S1", "M1", name="高等数学", nature="学位课", credits=4, score=50,
                  attempt="重修", teacher="钱老师"),
        grade_row("S2", "M1", name="高等数学", nature="学位课", credits=4, score=50),
    ])  # fmt: skip
    bad = grades_book(tmp_path / "bad.xlsx", [grade_row("S1", "M1", credits=0)])

    dry = _carebot("grades", "import", "--dry-run", good, env=env)
    done = _carebot("grades", "import", good, env=env)
    again = _carebot("grades", "import", good, env=env)
    refused = _carebot("grades", "import", bad, env=env)
    retakes = _carebot(
        "grades", "retakes", "--semester", "2026-秋", "--college", "计算机学院", env=env
    )
    unknown = _carebot("grades", "retakes", "--semester", "2030-秋", env=env)

    assert (dry.returncode, dry.stderr) == (0, "")
    assert dry.stdout.startswith("检查通过（工作表「成绩」，2 行）：将导入特殊群体学生的成绩 1 条")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "已导入成绩 1 条（工作表「成绩」，共 2 行；1 条不属于特殊群体学生，未保存）。",
        "学业预警：新增 1 人，升级 0 人，已通知学业导师和学工老师 2 条。",
    ]
    assert again.stdout.splitlines()[1] == "学业预警：新增 0 人，升级 0 人。"
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr.splitlines() == [
        "第2行 学分: 学分应是大于 0、不超过 30 的数字，而不是「0」",
        "共 1 处问题，一条成绩也没有导入；改好后请重新导入。",
    ]
    assert retakes.returncode == 0, retakes.stderr
    assert (
        "计科2301 张三（S1）：高等数学（M1，学位课，4 学分） 开课单位：数学学院 任课教师：钱老师"
        in retakes.stdout
    )
    assert "李四" not in retakes.stdout
    assert unknown.returncode == 2 and "2030-秋" in unknown.stderr
    async with make_sessionmaker(engine)() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
    await engine.dispose()
    assert sorted(row.recipient for row in rows) == ["C1", "M1"]
