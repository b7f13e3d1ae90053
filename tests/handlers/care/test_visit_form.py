"""A mentor logs a visit by the form: happy path, universal words, invalid answers, timeouts."""

from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest
from sqlmodel import delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.settings import Settings
from storage.models import Alert, Assignment, AuditEntry, Conversation, Person, VisitLog
from tests.fakes.chat import Chat
from tests.fakes.clock import SHANGHAI, FakeClock
from tests.fakes.roster import make_staff, make_student


@pytest.fixture
async def chat(client: httpx.AsyncClient, session: AsyncSession) -> Chat:
    teacher = await make_staff(session, name="王老师", code="T100", roles=("academic_mentor",))
    await make_student(
        session,
        name="张三",
        code="2023000100",
        class_name="计科2301",
        team={"academic_mentor": teacher},
    )
    await session.commit()
    return Chat(client, "T100")


async def _logs(session: AsyncSession) -> list[VisitLog]:
    await session.rollback()  # a fresh snapshot: see what the service committed since
    return list((await session.exec(select(VisitLog))).all())


async def _drafts(session: AsyncSession) -> list[Conversation]:
    await session.rollback()
    return list((await session.exec(select(Conversation))).all())


async def test_happy_path_stores_exactly_what_was_confirmed(
    chat: Chat, session: AsyncSession, clock: FakeClock
) -> None:
    assert "请选择学生" in await chat.say("记录")
    assert chat.buttons == [("form:choice:0", "张三（计科2301）")]
    assert "哪种帮扶" in await chat.press("form:choice:0")
    assert "什么时候" in await chat.say("谈心")
    assert "在哪里" in await chat.say("昨天下午")
    assert "内容" in await chat.say("跳过")
    assert "效果评估" in await chat.say("情绪稳定，聊了下学期的学习计划")
    assert "安全风险" in await chat.say("3")
    assert "后续跟进" in await chat.say("无")
    summary = await chat.say("跳过")
    assert "1. 学生：张三（计科2301）" in summary and "4. 地点：办公室" in summary
    assert await _logs(session) == []

    assert "已保存" in await chat.say("确认")

    [log] = await _logs(session)
    assert (log.kind, log.place, log.effect, log.risk) == ("谈心谈话", "办公室", "保持稳定", False)
    assert log.summary == "情绪稳定，聊了下学期的学习计划"
    assert log.occurred_at == datetime(2026, 11, 22, 15, 0, tzinfo=SHANGHAI)
    assert await _drafts(session) == []


async def test_cancel_stores_nothing(chat: Chat, session: AsyncSession) -> None:
    await chat.say("记录")
    await chat.say("1")
    await chat.say("谈心谈话")

    assert "没有保存" in await chat.say("取消")

    assert await _logs(session) == []
    assert await _drafts(session) == []
    assert "没有听懂" in await chat.say("跳过")


async def test_back_skip_help_and_edit(chat: Chat, session: AsyncSession) -> None:
    await chat.say("记录")
    await chat.say("1")
    assert "请选择学生" in await chat.say("上一步")
    await chat.say("1")
    assert "不能跳过" in await chat.say("跳过")
    help_reply = await chat.say("帮助")
    assert "上一步" in help_reply and "哪种帮扶" in help_reply
    for answer in (
        "走访寝室",
        "今天",
        "东区3栋201",
        "看望了一下，宿舍整洁",
        "有所改善",
        "无",
        "跳过",
    ):
        await chat.say(answer)
    assert "效果评估" in await chat.say("修改 6")
    confirm = await chat.say("明显好转")
    assert "6. 效果评估：明显好转" in confirm
    await chat.say("确认")

    [log] = await _logs(session)
    assert (log.kind, log.place, log.effect) == ("走访寝室", "东区3栋201", "明显好转")


async def test_invalid_answers_get_hints_then_buttons(chat: Chat) -> None:
    await chat.say("记录")
    await chat.say("1")

    first = await chat.say("打篮球")
    await chat.say("99")
    third = await chat.say("随便")

    assert "没有找到这个选项" in first and "哪种帮扶" in first
    assert "点下面的按钮" in third and "取消" in third
    assert len(chat.buttons) == 6


async def test_bad_time_and_length_hints(chat: Chat) -> None:
    for answer in ("记录", "1", "谈心"):
        await chat.say(answer)
    assert "将来" in await chat.say("今天 23:00")
    assert "时间" in await chat.say("不知道哪天")
    await chat.say("今天")
    await chat.say("跳过")
    assert "至少需要 2 个字" in await chat.say("好")


async def test_other_commands_mid_form_are_answered_then_the_question_repeats(
    chat: Chat,
) -> None:
    await chat.say("记录")
    await chat.say("1")

    reply = await chat.say("我的学生")
    again = await chat.say("记录")

    assert "你的帮扶学生" in reply and "哪种帮扶" in reply
    assert "正在填写" in again and "哪种帮扶" in again


async def test_idle_draft_is_kept_and_offered_back(chat: Chat, clock: FakeClock) -> None:
    await chat.say("记录")
    await chat.say("1")
    clock.advance(minutes=31)

    waiting = await chat.say("你好")
    resumed = await chat.say("继续")
    clock.advance(hours=25)
    expired = await chat.say("帮助")

    assert "未完成" in waiting and "继续" in waiting
    assert "哪种帮扶" in resumed
    assert "已自动清除" in expired and "精准帮扶助手" in expired


async def test_a_restart_mid_form_loses_nothing(
    chat: Chat, settings: Settings, clock: FakeClock, session: AsyncSession
) -> None:
    await chat.say("记录")
    await chat.say("1")
    await chat.say("谈心")

    second = create_app(settings, clock=clock, run_outbox=False)
    async with second.router.lifespan_context(second):
        transport = httpx.ASGITransport(app=second, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            resumed = Chat(client, "T100")
            assert "在哪里" in await resumed.say("今天")
            for answer in ("跳过", "聊了聊近况", "3", "无", "跳过", "确认"):
                await resumed.say(answer)

    assert len(await _logs(session)) == 1


async def test_same_names_are_told_apart_by_class(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    teacher = await make_staff(session, code="T200", roles=("counsellor",))
    for code, klass in (("2023000201", "计科2301"), ("2023000202", "软工2302")):
        await make_student(
            session, name="李四", code=code, class_name=klass, team={"student_affairs": teacher}
        )
    await session.commit()
    chat = Chat(client, "T200")

    await chat.say("记录")
    ambiguous = await chat.say("李四")
    chosen = await chat.say("李四（软工2302）")

    assert "多个选项" in ambiguous
    assert "哪种帮扶" in chosen


async def test_a_strangers_student_is_refused_and_audited(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mine = await make_staff(session, code="T300", roles=("academic_mentor",))
    other = await make_staff(session, code="T301", roles=("academic_mentor",))
    await make_student(session, name="赵六", code="2023000300", team={"academic_mentor": mine})
    await make_student(session, name="钱七", code="2023000301", team={"academic_mentor": other})
    await session.commit()

    reply = await Chat(client, "T300").say("记录 钱七 谈心 今天 聊了聊 效果稳定")

    assert "无权限" in reply
    assert await _logs(session) == []
    assert await _drafts(session) == []


async def _alerts(session: AsyncSession) -> list[Alert]:
    await session.rollback()
    return list((await session.exec(select(Alert))).all())


async def _to_the_risk_step(chat: Chat) -> None:
    for answer in ("记录", "1", "谈心", "今天", "跳过", "聊了聊近况", "保持稳定"):
        await chat.say(answer)


@pytest.mark.parametrize(("button", "risk"), [("form:choice:0", True), ("form:choice:1", False)])
async def test_the_risk_buttons_store_what_they_say(
    chat: Chat, session: AsyncSession, button: str, risk: bool
) -> None:
    await _to_the_risk_step(chat)
    assert chat.buttons == [("form:choice:0", "有"), ("form:choice:1", "无")]

    after = await chat.press(button)

    assert ("风险" in after and "描述" in after) is risk
    if risk:
        await chat.say("说压力很大，睡不着")
    await chat.say("跳过")
    await chat.say("确认")
    [log] = await _logs(session)
    assert log.risk is risk
    assert log.risk_description == ("说压力很大，睡不着" if risk else None)
    assert len(await _alerts(session)) == (1 if risk else 0)


async def test_skip_does_not_skip_a_required_text_or_yes_no_step(
    chat: Chat, session: AsyncSession
) -> None:
    for answer in ("记录", "1", "谈心", "今天", "跳过"):
        await chat.say(answer)

    at_summary = await chat.say("跳过")
    await chat.say("聊了聊近况")
    await chat.say("保持稳定")
    at_risk = await chat.say("跳过")
    await chat.say("有")
    at_detail = await chat.say("跳过")

    assert "不能跳过" in at_summary and "内容" in at_summary
    assert "不能跳过" in at_risk and "安全风险" in at_risk
    assert "不能跳过" in at_detail and "风险" in at_detail
    await chat.say("晚上经常失眠")
    await chat.say("跳过")
    await chat.say("确认")
    [log] = await _logs(session)
    assert (log.summary, log.risk, log.risk_description) == ("聊了聊近况", True, "晚上经常失眠")


async def test_a_mentor_removed_from_the_team_before_confirming_saves_nothing(
    chat: Chat, session: AsyncSession, clock: FakeClock
) -> None:
    await _to_the_risk_step(chat)
    await chat.say("无")
    await chat.say("跳过")
    await session.exec(delete(Assignment))
    await session.commit()
    clock.advance(hours=23)
    assert "确认" in await chat.say("继续")

    reply = await chat.say("确认")

    assert "不在" in reply and "帮扶小组" in reply and "没有保存" in reply
    assert await _logs(session) == []
    assert await _drafts(session) == []
    await session.rollback()
    denied = select(AuditEntry).where(AuditEntry.action == "denied_visit_log")
    [entry] = (await session.exec(denied)).all()
    assert entry.detail == "at confirmation"


async def test_a_removed_mentors_risk_report_still_reaches_people_but_no_log_is_saved(
    chat: Chat, session: AsyncSession
) -> None:
    await _to_the_risk_step(chat)
    await chat.say("有")
    await chat.say("说压力很大，睡不着")
    await chat.say("跳过")
    await session.exec(delete(Assignment))
    await session.commit()

    reply = await chat.say("确认")

    assert "没有保存" in reply and "安全风险" in reply
    assert await _logs(session) == []
    [alert] = await _alerts(session)
    assert alert.detail == "说压力很大，睡不着"


async def test_an_answer_is_read_against_the_list_that_was_shown(
    chat: Chat, session: AsyncSession
) -> None:
    """The list is kept with the draft: a student assigned meanwhile, who would now come
    first, does not move what 1 (or the first button) means."""
    assert "1. 张三（计科2301）" in await chat.say("记录")
    teacher = (await session.exec(select(Person).where(Person.code == "T100"))).one()
    team = {"academic_mentor": teacher}
    await make_student(session, name="艾一", code="2023000001", class_name="计科2300", team=team)
    await session.commit()

    assert "哪种帮扶" in await chat.say("1")

    [draft] = await _drafts(session)
    assert json.loads(draft.data or "{}")["labels"]["student"] == "张三（计科2301）"
    await chat.say("取消")
    assert "1. 艾一（计科2300）" in await chat.say("记录")  # a new question: the list as it is
