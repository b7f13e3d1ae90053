"""`摸排`: every section for each of the teacher's students in turn, resumable, counted per
survey season (a new semester asks again); closed files are left out."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

import httpx
import pytest
from openpyxl import load_workbook
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.cases.survey import season_start
from handlers.policy.load import load_policy
from storage.exports.watermark import watermark
from storage.models import Person, TeamRole
from storage.reports.ledger_cells import LedgerHead
from storage.reports.ledger_rows import LedgerScope, ledger_workbook
from tests.fakes.chat import Chat
from tests.fakes.clock import SHANGHAI, FakeClock
from tests.fakes.roster import make_student
from tests.handlers.cases.flow import college, stored_file, stored_problems


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, int]:
    return await college(session)


async def test_the_survey_walks_each_student_and_resumes_after_a_pause(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int], clock: FakeClock
) -> None:
    teacher = Chat(client, "T001")
    opened = await teacher.say("摸排")
    assert "开始本学期摸排" in opened and "第 1/2 位：张三（计科2301）" in opened
    assert "家庭经济状况和存在问题" in opened
    for answer in ("低保家庭，父亲务工", "先天性心脏病", "已看过诊断书", "父母务农"):
        await teacher.say(answer)
    for answer in ("每周学业辅导", "跳过", "国家助学金一等", "跳过"):
        summary = await teacher.say(answer)
    assert "请核对摸排" in summary and "8. 就业方案：（未填）" in summary
    saved = await teacher.say("确认")
    assert "张三的摸排已保存" in saved and "第 2/2 位：李四（计科2302）" in saved
    assert "问题类型、行为异常描述和危害性判断" in saved
    await teacher.say("情绪低落，已转介心理中心")
    assert "没有保存" in await teacher.say("取消")
    first_round = clock.now()
    clock.advance(minutes=1)  # a pause: 21 messages in one minute would meet the rate limit

    again = await teacher.say("摸排")
    assert "第 2/2 位：李四" in again and "还没有填写" in again
    for _ in range(6):
        last = await teacher.say("跳过")
    assert "请核对" in last
    assert "已经完成：2 位学生" in await teacher.say("确认")
    assert "已经完成" in await teacher.say("摸排")

    zhang = await stored_file(session, people["S001"])
    assert zhang is not None and zhang.surveyed_at == first_round
    assert (zhang.life_history, zhang.plan_academic, zhang.plan_psych) == (
        "父母务农",
        "每周学业辅导",
        None,
    )
    assert (zhang.plan_financial, zhang.plan_employment) == ("国家助学金一等", None)
    assert await stored_problems(session, people["S001"]) == {
        "financial_hardship": ("低保家庭，父亲务工", None),
        "physical_condition": ("先天性心脏病", "已看过诊断书"),
    }
    li = await stored_file(session, people["S002"])
    assert li is not None and li.surveyed_at == clock.now() and li.life_history is None
    assert await stored_problems(session, people["S002"]) == {"psychological": (None, None)}

    clock.set(datetime(2027, 3, 2, 9, 0, tzinfo=SHANGHAI))
    next_term = await teacher.say("摸排")
    assert "第 1/2 位：张三" in next_term and "现在记录的是：低保家庭，父亲务工" in next_term


async def test_ambiguous_names_are_asked_and_closed_files_are_left_out(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    teacher = await session.get_one(Person, people["T001"])
    await make_student(
        session,
        name="张三",
        code="S009",
        class_name="计科2309",
        team={TeamRole.STUDENT_AFFAIRS: teacher},
    )
    await session.commit()
    chat = Chat(client, "T001")
    assert "有同名的同学" in await chat.say("档案 张三") and "计科2309" in chat.replies[0]["text"]
    assert "一、基本情况" in await chat.say("档案 S009")
    await chat.say("建议撤销建档 S009 转学")
    await chat.say("批准 1")
    assert "第 1/2 位" in await chat.say("摸排")  # the closed file is not surveyed


def test_a_survey_in_the_vacation_counts_for_the_coming_semester() -> None:
    policy = load_policy()
    assert season_start(datetime(2026, 11, 23).date(), policy) == datetime(2026, 7, 13).date()
    assert season_start(datetime(2027, 1, 20).date(), policy) == datetime(2027, 1, 18).date()
    assert season_start(datetime(2027, 3, 2).date(), policy) == datetime(2027, 1, 18).date()
    assert season_start(datetime(2026, 3, 2).date(), policy) == datetime(2026, 3, 2).date()
    assert season_start(datetime(2030, 1, 1).date(), policy) == datetime(2027, 7, 12).date()


async def test_what_the_survey_records_is_on_the_ledger_row(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int], clock: FakeClock
) -> None:
    """Issue 13's 'done when': a counsellor walks the 摸排 in chat, and the ledger shows it."""
    teacher = Chat(client, "T001")
    await teacher.say("摸排")
    for answer in ("低保家庭，父亲务工", "先天性心脏病", "已看过诊断书", "父母务农"):
        await teacher.say(answer)
    for answer in ("每周学业辅导", "跳过", "国家助学金一等", "跳过"):
        await teacher.say(answer)
    assert "张三的摸排已保存" in await teacher.say("确认")

    sheets = await _ledger(session, clock)
    hardship = _row_of(sheets["家庭经济困难"], "张三")
    assert "低保家庭，父亲务工" in hardship[7]
    assert "每周学业辅导" in hardship[8] and "国家助学金一等" in hardship[8]
    physical = _row_of(sheets["生理缺陷"], "张三")
    assert "先天性心脏病" in physical[7] and physical[8] == "已看过诊断书"


async def _ledger(session: AsyncSession, clock: FakeClock) -> dict[str, list[list[str]]]:
    local = clock.now().astimezone(SHANGHAI)
    start = datetime(local.year - 1, 1, 1, tzinfo=SHANGHAI)
    end = datetime(local.year + 1, 1, 1, tzinfo=SHANGHAI)
    scope = LedgerScope("2026-2027学年第一学期", start, end, None, SHANGHAI)
    mark = watermark(name="周院长", code="A001", at=local)
    data, _ = await ledger_workbook(session, scope, LedgerHead(2026, local.date(), mark, SHANGHAI))
    book = load_workbook(BytesIO(data))
    return {
        name: [[str(v or "") for v in row] for row in book[name].iter_rows(values_only=True)]
        for name in book.sheetnames
    }


def _row_of(rows: list[list[str]], name: str) -> list[str]:
    return next(row for row in rows if len(row) > 1 and row[1] == name)
