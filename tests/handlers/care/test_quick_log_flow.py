"""Quick logs in one line and a reminder's 记录 button: only what is missing is asked."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry, Conversation, VisitLog
from tests.fakes.chat import Chat
from tests.fakes.clock import SHANGHAI
from tests.fakes.roster import make_staff, make_student

LINE = "记录 张三 谈心 昨天 宿舍 情绪稳定，已申请助学金 效果稳定"


@pytest.fixture
async def student(session: AsyncSession) -> int:
    teacher = await make_staff(session, name="王老师", code="T100", roles=("academic_mentor",))
    person = await make_student(
        session, name="张三", code="2023000100", team={"academic_mentor": teacher}
    )
    await session.commit()
    assert person.id is not None
    return person.id


@pytest.fixture
def chat(client: httpx.AsyncClient, student: int) -> Chat:
    return Chat(client, "T100")


async def _logs(session: AsyncSession) -> list[VisitLog]:
    await session.rollback()  # a fresh snapshot: see what the service committed since
    return list((await session.exec(select(VisitLog))).all())


async def _drafts(session: AsyncSession) -> list[Conversation]:
    await session.rollback()
    return list((await session.exec(select(Conversation))).all())


async def _audit(session: AsyncSession, action: str) -> list[AuditEntry]:
    await session.rollback()
    query = select(AuditEntry).where(AuditEntry.action == action)
    return list((await session.exec(query)).all())


async def test_one_line_asks_only_for_the_risk_then_stores_what_it_showed(
    chat: Chat, session: AsyncSession, student: int
) -> None:
    question = await chat.say(LINE)

    assert "安全风险" in question
    for other in ("请选择学生", "哪种帮扶", "什么时候", "在哪里", "内容", "效果评估"):
        assert other not in question
    summary = await chat.say("无")
    for row in (
        "1. 学生：张三（计科2301）",
        "2. 类型：谈心谈话",
        "3. 时间：2026-11-22 12:00",
        "4. 地点：寝室",
        "5. 内容摘要：情绪稳定，已申请助学金",
        "6. 效果评估：保持稳定",
        "7. 安全风险：无",
        "8. 后续跟进：（未填）",
    ):
        assert row in summary
    assert await _logs(session) == []

    assert "已保存张三（计科2301）的帮扶记录" in await chat.say("确认")

    [log] = await _logs(session)
    assert log.student_id == student
    assert (log.kind, log.place, log.effect, log.risk) == ("谈心谈话", "寝室", "保持稳定", False)
    assert log.summary == "情绪稳定，已申请助学金"
    assert log.occurred_at == datetime(2026, 11, 22, 12, 0, tzinfo=SHANGHAI)
    assert (log.risk_description, log.follow_up) == (None, None)
    assert await _drafts(session) == []


@pytest.mark.parametrize(
    ("line", "question", "answer"),
    [
        ("记录 谈心 昨天 宿舍 情绪稳定，已申请助学金 效果稳定", "请选择学生", "张三"),
        ("记录 张三 昨天 宿舍 情绪稳定，已申请助学金 效果稳定", "哪种帮扶", "谈心"),
        ("记录 张三 谈心 昨天 宿舍 效果稳定", "请简要记录", "情绪稳定，已申请助学金"),
        ("记录 张三 谈心 昨天 宿舍 情绪稳定，已申请助学金", "效果评估", "保持稳定"),
    ],
    ids=["student", "kind", "summary", "effect"],
)
async def test_each_missing_field_is_asked_then_the_risk(
    chat: Chat, session: AsyncSession, line: str, question: str, answer: str
) -> None:
    first = await chat.say(line)

    assert question in first and "安全风险" not in first
    assert "安全风险" in await chat.say(answer)
    assert "4. 地点：寝室" in await chat.say("无")
    await chat.say("确认")
    [log] = await _logs(session)
    assert (log.kind, log.place, log.effect) == ("谈心谈话", "寝室", "保持稳定")
    assert log.summary == "情绪稳定，已申请助学金"


async def test_no_risk_in_the_line_goes_straight_to_the_confirmation(
    chat: Chat, session: AsyncSession
) -> None:
    reply = await chat.say(f"{LINE} 无风险")

    assert "请核对帮扶记录" in reply and "7. 安全风险：无" in reply
    assert chat.buttons[0] == ("form:confirm", "确认保存")
    await chat.press("form:confirm")
    [log] = await _logs(session)
    assert log.risk is False and log.summary == "情绪稳定，已申请助学金"


async def test_a_risk_in_the_line_asks_for_its_description(
    chat: Chat, session: AsyncSession
) -> None:
    question = await chat.say(f"{LINE} 有风险")
    summary = await chat.say("最近失眠，情绪低落")

    assert "描述发现的风险" in question
    assert "7. 安全风险：有" in summary and "8. 风险描述：最近失眠，情绪低落" in summary
    assert "已立即通知" in await chat.say("确认")
    [log] = await _logs(session)
    assert (log.risk, log.risk_description) == (True, "最近失眠，情绪低落")


async def test_same_name_students_in_a_quick_log_are_asked_to_choose(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    teacher = await make_staff(session, code="T200", roles=("counsellor",))
    await make_student(
        session, name="李四", class_name="计科2301", team={"student_affairs": teacher}
    )
    other = await make_student(
        session, name="李四", class_name="软工2302", team={"student_affairs": teacher}
    )
    await session.commit()
    other_id = other.id
    chat = Chat(client, "T200")

    question = await chat.say("记录 李四 谈心 今天 聊了聊近况 效果稳定 无风险")
    summary = await chat.say("2")

    assert "请选择学生" in question
    assert "李四（计科2301）" in question and "李四（软工2302）" in question
    assert "1. 学生：李四（软工2302）" in summary and "5. 内容摘要：聊了聊近况" in summary
    await chat.say("确认")
    [log] = await _logs(session)
    assert log.student_id == other_id


async def test_a_class_in_the_line_tells_same_name_students_apart(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    teacher = await make_staff(session, code="T200", roles=("counsellor",))
    for klass in ("计科2301", "软工2302"):
        await make_student(
            session, name="李四", class_name=klass, team={"student_affairs": teacher}
        )
    await session.commit()

    reply = await Chat(client, "T200").say(
        "记录 李四（软工2302） 谈心 今天 聊了聊近况 效果稳定 无风险"
    )

    assert "请核对帮扶记录" in reply and "1. 学生：李四（软工2302）" in reply


async def test_a_peer_mentor_may_not_log_counselling_and_is_asked_for_a_kind(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    peer = await make_student(session, name="学长", code="2022000001")
    await make_student(session, name="张三", team={"peer_mentor": peer})
    await session.commit()
    chat = Chat(client, "2022000001")

    reply = await chat.say("记录 张三 心理疏导 今天 聊了聊近况 效果稳定 无风险")

    assert "「心理疏导」这类记录需要由老师填写" in reply and "哪种帮扶" in reply
    assert [label for _, label in chat.buttons] == ["谈心谈话", "学习陪伴", "其他"]
    assert "没有找到这个选项" in await chat.say("心理疏导")
    assert "图书馆" in await chat.say("学习陪伴")  # the place follows the kind chosen
    summary = await chat.say("跳过")
    assert "2. 类型：学习陪伴" in summary and "5. 内容摘要：聊了聊近况" in summary
    await chat.say("确认")
    [log] = await _logs(session)
    assert (log.kind, log.place) == ("学习陪伴", "图书馆")


async def test_a_reminder_button_prefills_student_and_kind(
    chat: Chat, session: AsyncSession, student: int
) -> None:
    question = await chat.press(f"visit:start:{student}:走访寝室")

    assert "什么时候" in question and "请选择学生" not in question and "哪种帮扶" not in question
    assert "寝室" in await chat.say("跳过")
    for answer in ("跳过", "宿舍很整洁，聊了作息", "有所改善", "无"):
        await chat.say(answer)
    summary = await chat.say("跳过")
    assert "1. 学生：张三（计科2301）" in summary and "2. 类型：走访寝室" in summary
    await chat.say("确认")
    [log] = await _logs(session)
    assert (log.student_id, log.kind, log.place) == (student, "走访寝室", "寝室")


async def test_a_reminder_button_for_someone_elses_student_is_refused(
    chat: Chat, session: AsyncSession
) -> None:
    other = await make_staff(session, code="T101", roles=("academic_mentor",))
    theirs = await make_student(session, name="钱七", team={"academic_mentor": other})
    await session.commit()
    theirs_id = theirs.id

    reply = await chat.press(f"visit:start:{theirs_id}:走访寝室")

    assert "无权限" in reply
    [entry] = await _audit(session, "denied_visit_log")
    assert entry.subject_id == theirs_id
    assert await _drafts(session) == []
    assert await _logs(session) == []


async def test_changing_the_risk_at_the_confirmation_asks_for_its_description(
    chat: Chat, session: AsyncSession
) -> None:
    await chat.say(f"{LINE} 无风险")

    question = await chat.say("修改 7")
    follow = await chat.say("有")
    summary = await chat.say("夜里失眠，成绩下滑")

    assert "安全风险" in question
    assert "描述发现的风险" in follow
    assert "7. 安全风险：有" in summary and "8. 风险描述：夜里失眠，成绩下滑" in summary
    await chat.say("确认")
    [log] = await _logs(session)
    assert (log.risk, log.risk_description) == (True, "夜里失眠，成绩下滑")


async def test_taking_a_risk_back_at_the_confirmation_stores_no_description(
    chat: Chat, session: AsyncSession
) -> None:
    await chat.say(f"{LINE} 有风险")
    await chat.say("夜里失眠，成绩下滑")

    await chat.say("修改 7")
    summary = await chat.say("无")

    assert "7. 安全风险：无" in summary and "风险描述" not in summary
    assert "已立即通知" not in await chat.say("确认")
    [log] = await _logs(session)
    assert (log.risk, log.risk_description) == (False, None)


async def test_help_documents_the_one_line_grammar_by_role(
    chat: Chat, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_staff(session, code="T102", roles=("counsellor",))
    peer = await make_student(session, name="学长", code="2022000009")
    await make_student(session, name="李四", team={"peer_mentor": peer})
    await session.commit()

    mentor = await chat.say("帮助")
    counsellor = await Chat(client, "T102").say("帮助")
    peer_help = await Chat(client, "2022000009").say("帮助")

    assert LINE in mentor and "有/无风险" in mentor and "撤销" in mentor
    assert "周报" not in mentor and "周报" in counsellor
    assert "记录 张三 谈心 今天" in peer_help and "学习陪伴" in peer_help
    assert "档案" not in peer_help and "周报" not in peer_help


@pytest.mark.parametrize(
    ("moment", "hint"),
    [("今天 23:00", "不能是将来"), ("2025年1月1日", "太久远"), ("2月30日", "没看懂这个时间")],
    ids=["future", "too_old", "impossible"],
)
async def test_a_time_the_form_would_refuse_is_asked_again_with_the_hint(
    chat: Chat, session: AsyncSession, moment: str, hint: str
) -> None:
    reply = await chat.say(f"记录 张三 谈心 {moment} 宿舍 情绪稳定，已申请助学金 效果稳定 无风险")

    assert hint in reply and "什么时候" in reply and "请核对" not in reply
    summary = await chat.say("昨天")
    assert (
        "3. 时间：2026-11-22 12:00" in summary and "5. 内容摘要：情绪稳定，已申请助学金" in summary
    )
    await chat.say("确认")
    [log] = await _logs(session)
    assert log.occurred_at == datetime(2026, 11, 22, 12, 0, tzinfo=SHANGHAI)


async def test_a_quick_log_for_someone_elses_student_reads_like_one_for_nobody(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """A peer mentor is a student: 记录 must not tell them who is on the roll."""
    other = await make_staff(session, code="T101", roles=("academic_mentor",))
    theirs = await make_student(
        session, name="钱七", code="2023000777", team={"academic_mentor": other}
    )
    peer = await make_student(session, name="学长", code="2022000001")
    await make_student(session, name="张三", team={"peer_mentor": peer})
    await session.commit()
    theirs_id = theirs.id
    chat = Chat(client, "2022000001")

    replies = {
        (await chat.say(f"记录 {token} 谈心 今天 聊了聊近况 效果稳定 无风险")).replace(token, "X")
        for token in ("钱七", "2023000777", "赵无名", "2023000404")
    }

    [reply] = replies
    assert "不在你帮扶的学生中" in reply and "请选择学生" not in reply
    assert await _drafts(session) == []
    assert {entry.subject_id for entry in await _audit(session, "denied_visit_log")} == {theirs_id}
