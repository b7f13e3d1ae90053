"""`档案 张三` section by section and `修改档案`: only the student-affairs teacher edits, every
step keeps the stored text on 跳过, hostile text is stored as data, refusals say 无权限."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.fakes.chat import Chat
from tests.handlers.cases.flow import audit_actions, college, stored_file, stored_problems

HOSTILE = "'); DROP TABLE case_file; -- {{ 7*7 }} <script>"


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, int]:
    return await college(session)


async def test_teacher_edits_the_problems_section_and_reads_it_back(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    teacher = Chat(client, "T001")
    shown = await teacher.say("档案 张三")
    assert "一、基本情况" in shown and "建档：尚未建档" in shown
    assert "家庭经济状况和存在问题：（未填写）" in shown
    assert "班主任核实情况：（未填写）" in shown
    assert (f"case:edit:problems:{people['S001']}", "修改问题描述") in teacher.buttons

    first = await teacher.say("修改档案 张三 问题")
    assert "家庭经济状况和存在问题" in first and "还没有填写" in first
    assert "学生病史" in await teacher.say("父亲务工收入不稳定")
    assert "班主任核实情况" in await teacher.say(HOSTILE)
    confirm = await teacher.say("已核实，有医院证明")
    assert "请核对" in confirm and HOSTILE in confirm
    assert await stored_file(session, people["S001"]) is None  # nothing before 确认
    assert "已保存张三的档案" in await teacher.say("确认")

    case = await stored_file(session, people["S001"])
    assert case is not None and case.status == "open" and case.updated_by == people["T001"]
    assert case.surveyed_at is None and case.life_history is None
    assert await stored_problems(session, people["S001"]) == {
        "financial_hardship": ("父亲务工收入不稳定", None),
        "physical_condition": (HOSTILE, "已核实，有医院证明"),
    }
    again = await teacher.say("档案 S001")
    assert f"学生病史（重大疾病、遗传病或残疾等影响到学习生活的疾病）：{HOSTILE}" in again
    assert "49" not in again  # the stored text is shown as written, never rendered


async def test_skip_keeps_the_old_text_and_long_text_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    teacher = Chat(client, "T001")
    await teacher.say("修改档案 张三 方案")
    for line in ("每周一次学业辅导", "每月谈心", "申请国家助学金", "推送实习岗位"):
        await teacher.say(line)
    await teacher.say("确认")
    await teacher.say("修改档案 张三 方案")
    assert "现在记录的是：每周一次学业辅导" in teacher.replies[-1]["text"]
    assert "300" in await teacher.say("长" * 301)
    await teacher.say("跳过")
    await teacher.say("每两周谈心一次")
    await teacher.say("跳过")
    await teacher.say("跳过")
    await teacher.say("确认")
    case = await stored_file(session, people["S001"])
    assert case is not None
    assert (case.plan_academic, case.plan_psych, case.plan_financial, case.plan_employment) == (
        "每周一次学业辅导",
        "每两周谈心一次",
        "申请国家助学金",
        "推送实习岗位",
    )


@pytest.mark.parametrize(
    ("code", "action"),
    [
        ("P001", "denied_case_file"),  # the peer mentor: a student
        ("S001", "denied_case_file"),  # the student himself
        ("A002", "denied_view_student"),  # an admin of another college
        ("T002", "denied_view_student"),  # a counsellor without a seat
    ],
)
async def test_people_outside_the_file_are_refused_and_audited(
    client: httpx.AsyncClient,
    session: AsyncSession,
    people: dict[str, int],
    code: str,
    action: str,
) -> None:
    for line in ("档案 张三", "修改档案 张三 问题"):
        reply = await Chat(client, code).say(line)
        assert "无权限" in reply
        assert "家庭经济" not in reply
    actions = await audit_actions(session)
    assert [a for a, actor, _ in actions if actor == people[code]] == [action, action]


async def test_the_academic_mentor_and_the_admin_read_but_may_not_edit(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    for code in ("M001", "A001"):
        chat = Chat(client, code)
        shown = await chat.say("档案 张三")
        assert "问题类型及问题描述" in shown and chat.buttons == []
        assert "无权限" in await chat.say("修改档案 张三 方案")
        assert "无权限" in await chat.press(f"case:edit:plan:{people['S001']}")
    actions = await audit_actions(session)
    for code in ("M001", "A001"):
        mine = [(a, s) for a, actor, s in actions if actor == people[code]]
        assert mine == [
            ("case_file_viewed", people["S001"]),
            ("denied_case_edit", people["S001"]),
            ("denied_case_edit", people["S001"]),
        ]


async def test_the_edit_button_opens_the_section_form(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    teacher = Chat(client, "T001")
    opened = await teacher.press(f"case:edit:history:{people['S002']}")
    assert "既往生活史与当前生活情景" in opened
    await teacher.say("单亲家庭，母亲务农；目前住校")
    await teacher.say("确认")
    case = await stored_file(session, people["S002"])
    assert case is not None and case.life_history == "单亲家庭，母亲务农；目前住校"
    assert await stored_problems(session, people["S002"]) == {}
    assert ("case_file_edited", people["T001"], people["S002"]) in await audit_actions(session)
