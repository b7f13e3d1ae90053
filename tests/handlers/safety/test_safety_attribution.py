"""Crisis words are attributed to the right person: a student who writes them (peer mentors
included) is the one at risk and hears the hotline; staff write about their students."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.messaging.conversations import data_of
from storage.messaging.outbox import payload_of
from storage.models import Alert, Conversation, OutboxMessage, Person
from tests.fakes.chat import Chat
from tests.fakes.roster import make_staff, make_student

HOTLINE = "400-161-9995"


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, int]:
    """张三 (counsellor T101) and 李四 (counsellor T102) share the academic mentor T100 and the
    peer mentor 学长 (P001, a student of another college, counsellor T103)."""
    mentor = await make_staff(session, name="王老师", code="T100", roles=("academic_mentor",))
    first = await make_staff(session, name="李老师", code="T101", roles=("counsellor",))
    second = await make_staff(session, name="赵老师", code="T102", roles=("counsellor",))
    own = await make_staff(session, name="钱老师", code="T103", college="外国语学院")
    peer = await make_student(
        session, name="学长", code="P001", college="外国语学院", team={"student_affairs": own}
    )
    for name, code, counsellor in (("张三", "S001", first), ("李四", "S002", second)):
        team = {"academic_mentor": mentor, "student_affairs": counsellor, "peer_mentor": peer}
        await make_student(session, name=name, code=code, team=team)
    await make_staff(session, name="心理中心", code="C100", roles=("psych_center",))
    await session.commit()
    return {p.code: p.id or 0 for p in (await session.exec(select(Person))).all()}


async def _alerts(session: AsyncSession) -> list[Alert]:
    await session.rollback()
    return list((await session.exec(select(Alert).order_by(col(Alert.id)))).all())


async def _cards(session: AsyncSession) -> dict[str, list[str]]:
    """The text of every alert card queued, per recipient code."""
    await session.rollback()
    query = select(OutboxMessage).where(col(OutboxMessage.idempotency_key).startswith("alert:"))
    cards: dict[str, list[str]] = {}
    for row in (await session.exec(query.order_by(col(OutboxMessage.id)))).all():
        cards.setdefault(row.recipient, []).append(payload_of(row)["text"])
    return cards


async def test_a_peer_mentor_in_a_visit_form_writing_crisis_words_is_the_one_at_risk(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    chat = Chat(client, "P001")
    await chat.say("记录 张三")

    reply = await chat.say("我自己也不想活了")

    assert HOTLINE in reply
    [alert] = await _alerts(session)
    assert (alert.student_id, alert.raised_by) == (people["P001"], people["P001"])
    cards = await _cards(session)
    assert {"T103", "C100"} <= set(cards)  # the writer's own counsellor and the centre
    [card] = cards["T103"]
    assert "学生：学长" in card and "学生本人的消息" in card and "我自己也不想活了" in card
    assert "张三" in card  # the student the form was about, as context
    assert "T101" in cards  # whose student-affairs teacher hears of it too


async def test_a_peer_mentors_own_crisis_is_not_taken_as_an_answer_of_their_form(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    chat = Chat(client, "P001")
    await chat.say("记录 张三")
    await chat.say("1")
    before = await _draft(session)

    reply = await chat.say("我自己也不想活了")

    assert HOTLINE in reply
    assert await _draft(session) == before  # same step, same answers: the question waits


async def _draft(session: AsyncSession) -> tuple[str, dict[str, object]]:
    await session.rollback()
    row = (await session.exec(select(Conversation))).one()
    return row.step, data_of(row)["values"]


async def test_a_peer_mentor_naming_a_mentee_is_still_the_one_at_risk(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    reply = await Chat(client, "P001").say("和张三聊完，我也不想活了")

    assert HOTLINE in reply
    [alert] = await _alerts(session)
    assert alert.student_id == people["P001"]
    [card] = (await _cards(session))["T103"]
    assert "学生：学长" in card and "张三" in card


async def test_a_teacher_in_a_visit_form_reports_about_the_forms_student(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    chat = Chat(client, "T100")
    await chat.say("记录 李四")

    reply = await chat.say("他说自己不想活了")

    assert HOTLINE not in reply and "已立即通知" in reply
    [alert] = await _alerts(session)
    assert (alert.student_id, alert.raised_by) == (people["S002"], people["T100"])
    assert set(await _cards(session)) == {"T102", "C100"}


async def test_a_teacher_naming_two_students_raises_an_alert_about_each(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    reply = await Chat(client, "T100").say("张三和李四都说不想活了")

    assert "已立即通知" in reply and HOTLINE not in reply
    alerts = await _alerts(session)
    assert [(a.student_id, a.raised_by) for a in alerts] == [
        (people["S001"], people["T100"]),
        (people["S002"], people["T100"]),
    ]
    cards = await _cards(session)
    assert set(cards) == {"T101", "T102", "C100"}
    assert "张三" in cards["T101"][0] and "李四" in cards["T102"][0]
    assert len(cards["C100"]) == 2


@pytest.mark.parametrize(
    "message",
    ["我 不想 活了", "我\u3000不想\u3000活了", "我\t不想活了", "不\n想 活\u3000了", "自 杀"],
    ids=["spaces", "full-width", "tab", "mixed", "two-chars"],
)
async def test_crisis_words_with_spaces_inside_still_reach_people(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int], message: str
) -> None:
    reply = await Chat(client, "S001").say(message)

    assert HOTLINE in reply
    [alert] = await _alerts(session)
    assert alert.student_id == people["S001"]
    assert set(await _cards(session)) == {"T101", "C100"}


async def test_a_further_message_reaches_everyone_the_alert_went_to_even_without_the_form(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    chat = Chat(client, "P001")
    await chat.say("记录 张三")
    await chat.say("我自己也不想活了")
    await chat.say("取消")

    await chat.say("我已经吞了一整瓶安眠药")

    cards = await _cards(session)
    assert len(await _alerts(session)) == 1
    assert {"T103", "T101", "C100"} == set(cards)  # 张三's teacher was sent the alert
    assert all(len(texts) == 2 and "安眠药" in texts[1] for texts in cards.values())
