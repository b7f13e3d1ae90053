"""Who an alert reaches and what it says, rule by rule: the follow-up and repeat windows, alerts
about nobody in particular, long texts, the cards' wording, handling and escalation, and the
audit and log lines an operator reads (which never quote the message)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.access.identity import Identity
from handlers.context import Context, HandlerConfig
from handlers.envelopes import Outbound
from handlers.safety import alerts
from storage.messaging.outbox import payload_of
from storage.models import Alert, AlertMessage, AuditEntry, OutboxMessage, Person
from storage.people.identify import AccountMatch
from storage.people.roles import people_with_role
from storage.safety import alerts as stored_alerts
from storage.safety.words import default_crisis_words
from tests.fakes.chat import Chat
from tests.fakes.clock import SHANGHAI, FakeClock
from tests.fakes.roster import make_staff, make_student

CONFIG = HandlerConfig(
    tz=SHANGHAI,
    hotline="400-161-9995",
    channels=("simulator",),
    account_match={"simulator": AccountMatch.ROSTER_CODE},
    crisis_words=default_crisis_words(),
    alert_escalation=timedelta(hours=2),
)
LEVEL_ONE = {"T101", "A100", "C100"}


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, Person]:
    """张三's team (T100 mentor, T101 student affairs), the admins of two colleges, the centre,
    a school admin and a teacher of no team (T999)."""
    mentor = await make_staff(session, name="王老师", code="T100", roles=("academic_mentor",))
    counsellor = await make_staff(session, name="李老师", code="T101", roles=("counsellor",))
    await make_student(
        session,
        name="张三",
        code="S001",
        team={"academic_mentor": mentor, "student_affairs": counsellor},
    )
    await make_staff(session, name="院管理员", code="A100", roles=("college_admin",))
    await make_staff(session, code="A200", roles=("college_admin",), college="外国语学院")
    await make_staff(session, code="C100", roles=("psych_center",), college="心理中心")
    await make_staff(session, name="校管理员", code="X100", roles=("school_admin",), college="")
    await make_staff(session, name="赵老师", code="T999", roles=("academic_mentor",))
    await session.commit()
    return {person.code: person for person in (await session.exec(select(Person))).all()}


def ctx(session: AsyncSession, clock: FakeClock) -> Context:
    return Context(session=session, now=clock.now(), config=CONFIG)


def who(person: Person, *roles: str) -> Identity:
    return Identity(person=person, roles=frozenset(roles or ("counsellor",)))


async def raise_from(
    session: AsyncSession,
    clock: FakeClock,
    writer: Person,
    detail: str,
    *,
    about: Person | None = None,
    source: str = "message",
) -> Alert:
    alert = await alerts.raise_alert(
        ctx(session, clock),
        student_id=about.id if about else None,
        raised_by=who(writer),
        source=source,
        detail=detail,
    )
    await session.commit()
    return alert


async def cards(session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    """Alert messages queued, per recipient code, oldest first."""
    query = select(OutboxMessage).where(col(OutboxMessage.idempotency_key).startswith("alert:"))
    found: dict[str, list[dict[str, Any]]] = {}
    for row in (await session.exec(query.order_by(col(OutboxMessage.id)))).all():
        found.setdefault(row.recipient, []).append(payload_of(row))
    return found


async def audit(session: AsyncSession, action: str) -> list[AuditEntry]:
    return list((await session.exec(select(AuditEntry).where(AuditEntry.action == action))).all())


def test_crisis_words_are_found_across_any_spaces() -> None:
    words = ("不想活", "自杀", "安眠药")
    assert alerts.crisis_words_in("我 不想\u3000活了\n", words) == ["不想活"]
    assert alerts.crisis_words_in("吞了安眠药想自 杀", words) == ["自杀", "安眠药"]
    assert alerts.crisis_words_in("今天很好", words) == []


async def test_an_alert_card_says_who_when_and_what_and_the_log_line_quotes_nothing(
    session: AsyncSession,
    clock: FakeClock,
    people: dict[str, Person],
    caplog: pytest.LogCaptureFixture,
) -> None:
    alert = await raise_from(session, clock, people["S001"], "我不想活了", about=people["S001"])

    sent = await cards(session)
    assert set(sent) == LEVEL_ONE
    [card] = sent["T101"]
    assert card["title"] == "安全风险提醒"
    assert "学生：张三（计科2301，计算机学院）" in card["text"]
    assert "来源：学生本人的消息" in card["text"] and "时间：11月23日 09:00" in card["text"]
    assert "情况：我不想活了" in card["text"] and "已升级" not in card["text"]
    assert alert.escalate_at == clock.now() + timedelta(hours=2) and alert.level == 1
    [entry] = await audit(session, "alert_raised")
    assert (entry.actor_id, entry.subject_id) == (people["S001"].id, people["S001"].id)
    assert entry.detail == f"alert {alert.id} from message"
    assert f"safety alert {alert.id} raised (message)" in [r.getMessage() for r in caplog.records]


async def test_a_long_message_is_kept_to_its_first_500_characters(
    session: AsyncSession, clock: FakeClock, people: dict[str, Person]
) -> None:
    long = "不想活了" + "很" * 600
    alert = await raise_from(session, clock, people["S001"], long, about=people["S001"])
    clock.advance(minutes=1)
    await raise_from(session, clock, people["S001"], "又" + long, about=people["S001"])

    assert alert.detail == long[:500]
    [note] = (await session.exec(select(AlertMessage))).all()
    assert note.text == ("又" + long)[:500]


async def test_a_teachers_crisis_message_about_nobody_reaches_their_college_and_the_centre(
    session: AsyncSession, clock: FakeClock, people: dict[str, Person]
) -> None:
    first = await raise_from(session, clock, people["T999"], "有学生说想自杀")
    clock.advance(minutes=10)
    again = await raise_from(session, clock, people["T999"], "他又说想自杀")
    other = await raise_from(session, clock, people["T100"], "有人说想自杀")

    assert first.student_id is None and again.id == first.id and other.id != first.id
    sent = await cards(session)
    assert set(sent) == {"A100", "C100"}  # neither writer, nor the school: others are told
    assert [c["title"] for c in sent["A100"]] == [
        "安全风险提醒",
        "【新消息】安全风险提醒",
        "安全风险提醒",
    ]
    assert "来源：赵老师的消息" in sent["A100"][0]["text"]


async def test_an_alert_about_nobody_from_a_student_without_college_people_goes_to_the_school(
    session: AsyncSession, clock: FakeClock
) -> None:
    loner = await make_student(session, code="S900", college="体育学院")
    await make_staff(session, code="X900", roles=("school_admin",), college="")
    await make_staff(session, code="A900", roles=("college_admin",), college="外国语学院")
    await session.commit()

    await raise_from(session, clock, loner, "不想活了")

    assert set(await cards(session)) == {"X900"}


async def test_a_follow_up_joins_the_alert_up_to_an_hour_after_it_was_raised(
    session: AsyncSession, clock: FakeClock, people: dict[str, Person]
) -> None:
    student = people["S001"]
    first = await raise_from(session, clock, student, "不想活了", about=student)
    clock.advance(hours=1)
    joined = await raise_from(session, clock, student, "真的不想活了", about=student)
    clock.advance(seconds=1)
    newer = await raise_from(session, clock, student, "还是不想活了", about=student)

    assert joined.id == first.id and newer.id != first.id


async def test_a_follow_up_card_is_marked_new_and_quotes_both_messages(
    session: AsyncSession,
    clock: FakeClock,
    people: dict[str, Person],
    caplog: pytest.LogCaptureFixture,
) -> None:
    student = people["S001"]
    alert = await raise_from(session, clock, student, "不想活了", about=student)
    clock.advance(minutes=30)
    await raise_from(session, clock, student, "我在楼顶", about=student)

    [note] = (await session.exec(select(AlertMessage))).all()
    first, card = (await cards(session))["C100"]
    assert card["title"] == "【新消息】安全风险提醒"
    assert card["text"].startswith("【新消息】11月23日 09:00发出的安全风险提醒又收到一条消息")
    assert "时间：11月23日 09:30" in card["text"] and "新消息：我在楼顶" in card["text"]
    assert "首次提醒的情况：不想活了" in card["text"]
    assert "学生：张三（计科2301，计算机学院）" in card["text"]
    assert "来源：学生本人的消息" in card["text"]
    assert (
        card["buttons"] == first["buttons"] == [{"key": f"alert:ack:{alert.id}", "label": "已处理"}]
    )
    [entry] = await audit(session, "alert_follow_up")
    assert entry.detail == f"alert {alert.id} message {note.id} from message"
    assert entry.actor_id == student.id and entry.subject_id == student.id
    logged = [r.getMessage() for r in caplog.records]
    assert f"safety alert {alert.id}: new message {note.id} (message)" in logged


async def test_the_same_words_again_are_folded_whatever_the_spacing_but_not_from_someone_else(
    session: AsyncSession,
    clock: FakeClock,
    people: dict[str, Person],
    caplog: pytest.LogCaptureFixture,
) -> None:
    student = people["S001"]
    alert = await raise_from(session, clock, student, "我 不想活了", about=student)
    clock.advance(minutes=1)
    await raise_from(session, clock, student, "我不想\u3000活了\n", about=student)
    assert [len(rows) for rows in (await cards(session)).values()] == [1, 1, 1]
    assert f"safety alert {alert.id}: the same message again, folded" in [
        r.getMessage() for r in caplog.records
    ]

    await raise_from(session, clock, people["T100"], "我不想活了", about=student)

    sent = await cards(session)
    assert len(sent["C100"]) == 2 and "来源：王老师的消息" in sent["C100"][1]["text"]


async def test_a_repeat_counts_from_the_last_time_the_words_went_out(
    session: AsyncSession, clock: FakeClock, people: dict[str, Person]
) -> None:
    student = people["S001"]
    await raise_from(session, clock, student, "不想活了", about=student)
    clock.advance(minutes=5)
    await raise_from(session, clock, student, "不想活了", about=student)  # folded: 5 min exactly
    clock.advance(seconds=1)
    await raise_from(session, clock, student, "不想活了", about=student)
    clock.advance(minutes=4)
    await raise_from(session, clock, student, "不想活了", about=student)  # folded: 4 min after
    clock.advance(minutes=1)
    await raise_from(session, clock, student, "不想活了", about=student)  # folded: 5 min exactly

    assert len((await cards(session))["T101"]) == 2


async def test_handling_a_missing_alert_is_refused_and_audited(
    session: AsyncSession, clock: FakeClock, people: dict[str, Person]
) -> None:
    [reply] = await alerts.acknowledge(ctx(session, clock), who(people["T101"]), 999)

    assert reply == Outbound(kind="text", text="无权限：这条提醒不是发给你的，无法标记处理。")
    [entry] = await audit(session, "denied_alert_ack")
    assert (entry.actor_id, entry.subject_id, entry.detail) == (
        people["T101"].id,
        None,
        "alert 999",
    )


async def test_handling_closes_the_alert_and_says_who_did_to_the_next_one(
    session: AsyncSession, clock: FakeClock, people: dict[str, Person]
) -> None:
    alert = await raise_from(session, clock, people["S001"], "不想活了", about=people["S001"])
    clock.advance(minutes=3)
    assert alert.id is not None

    [done] = await alerts.acknowledge(ctx(session, clock), who(people["C100"]), alert.id)
    [again] = await alerts.acknowledge(ctx(session, clock), who(people["T101"]), alert.id)

    assert done == Outbound(kind="text", text="已标记为已处理，谢谢你的及时跟进。")
    name = people["C100"].name
    assert again == Outbound(kind="text", text=f"这条提醒已经由{name}处理过了。")
    assert alert.status == "acknowledged" and alert.acknowledged_by == people["C100"].id
    assert alert.acknowledged_at == clock.now() and alert.escalate_at is None
    [entry] = await audit(session, "alert_acknowledged")
    assert entry.detail == f"alert {alert.id}" and entry.subject_id == people["S001"].id


async def test_an_escalated_card_goes_to_the_school_and_everyone_before_with_the_latest_news(
    session: AsyncSession, clock: FakeClock, people: dict[str, Person]
) -> None:
    alert = await raise_from(session, clock, people["T101"], "他说不想活了", about=people["S001"])
    clock.advance(minutes=20)
    await raise_from(session, clock, people["S001"], "我在楼顶", about=people["S001"])
    clock.advance(minutes=1)
    await raise_from(session, clock, people["T101"], "我在赶过去", about=people["S001"])
    assert set(await cards(session)) == {"A100", "C100", "T101"}  # T101: the student's news
    assert len((await cards(session))["T101"]) == 1  # but not its own follow-up
    clock.advance(hours=2)

    assert await alerts.escalate_due(ctx(session, clock)) == 1
    await session.commit()

    assert alert.level == 2 and alert.escalate_at is None
    query = select(OutboxMessage).where(col(OutboxMessage.idempotency_key).contains(":level2:"))
    escalated = {row.recipient: payload_of(row) for row in (await session.exec(query)).all()}
    assert set(escalated) == {"X100", "A100", "C100"}  # the raiser, T101, is not sent it
    card = escalated["X100"]
    assert card["title"] == "【升级】安全风险提醒"
    assert "之后又有 2 条新消息，最新一条：我在赶过去" in card["text"]
    assert "此提醒发出后一直未处理，已升级。" in card["text"]
    assert await stored_alerts.recipients(session, alert.id or 0) == {
        **{people[code].id or 0: 1 for code in ("A100", "C100", "T101")},
        people["X100"].id or 0: 2,
    }


async def test_every_alert_past_its_time_climbs_and_is_counted(
    session: AsyncSession, clock: FakeClock, people: dict[str, Person]
) -> None:
    await raise_from(session, clock, people["S001"], "不想活了", about=people["S001"])
    await raise_from(session, clock, people["T999"], "有学生想自杀")
    clock.advance(hours=2)

    assert await alerts.escalate_due(ctx(session, clock)) == 2


async def test_escalation_takes_open_alerts_whose_time_has_come(
    session: AsyncSession, clock: FakeClock, people: dict[str, Person]
) -> None:
    due = await raise_from(session, clock, people["S001"], "不想活了", about=people["S001"])
    clock.advance(hours=1)
    later = await raise_from(session, clock, people["T999"], "有学生想自杀")
    clock.advance(hours=1)

    found = await stored_alerts.due_for_escalation(session, clock.now())
    assert [alert.id for alert in found] == [due.id]
    later.escalate_at = None
    assert [a.id for a in await stored_alerts.due_for_escalation(session, clock.now())] == [due.id]


def test_the_next_escalation_is_after_the_delay_until_the_top_level() -> None:
    now = FakeClock().now()
    hour = timedelta(hours=1)
    assert stored_alerts.next_escalation(now, hour, 1, 2) == now + hour
    assert stored_alerts.next_escalation(now, hour, 2, 2) is None


async def test_people_with_a_role_in_one_college_or_all(
    session: AsyncSession, people: dict[str, Person]
) -> None:
    everywhere = await people_with_role(session, "college_admin")
    assert sorted(everywhere) == sorted([people["A100"].id or 0, people["A200"].id or 0])
    here = await people_with_role(session, "college_admin", college="外国语学院")
    assert here == [people["A200"].id]


async def test_a_teachers_crisis_message_naming_one_of_their_students_is_about_that_one(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, Person]
) -> None:
    await make_student(session, name="李四", code="S002", team={"academic_mentor": people["T100"]})
    await session.commit()

    reply = await Chat(client, "T100").say("张三今天说他不想活了")

    assert "已立即通知" in reply
    await session.rollback()
    [alert] = (await session.exec(select(Alert))).all()
    assert (alert.student_id, alert.raised_by) == (people["S001"].id, people["T100"].id)
    assert alert.source == "message"


async def test_the_students_college_decides_whose_admins_hear_not_the_writers(
    session: AsyncSession, clock: FakeClock, people: dict[str, Person]
) -> None:
    await raise_from(session, clock, people["A200"], "张三说不想活了", about=people["S001"])

    sent = await cards(session)
    assert set(sent) == {"T101", "A100", "C100"}  # A200 wrote it; 外国语学院 is not his college


async def test_a_follow_up_about_another_student_also_tells_that_students_teacher(
    session: AsyncSession, clock: FakeClock, people: dict[str, Person]
) -> None:
    peer = await make_student(session, name="学长", code="P001")
    await session.commit()
    first = await alerts.raise_alert(
        ctx(session, clock),
        student_id=peer.id,
        raised_by=who(peer),
        source="message",
        detail="我不想活了",
    )
    clock.advance(minutes=10)
    again = await alerts.raise_alert(
        ctx(session, clock),
        student_id=peer.id,
        raised_by=who(peer),
        source="message",
        detail="我真的不想活了",
        context_id=people["S001"].id,
    )
    await session.commit()

    assert again.id == first.id
    sent = await cards(session)
    assert set(sent) == {"A100", "C100", "T101"}
    [card] = sent["T101"]  # told of the follow-up only: it is the first that concerns 张三
    assert (
        card["title"] == "【新消息】安全风险提醒" and "相关学生：张三（计科2301）" in card["text"]
    )
    assert "来源：学生本人的消息" in card["text"]


async def test_when_the_writer_is_the_only_one_who_would_hear_the_school_admins_are_told(
    session: AsyncSession, clock: FakeClock
) -> None:
    student = await make_student(session, code="S900", college="体育学院")
    admin = await make_staff(session, code="A900", roles=("college_admin",), college="体育学院")
    await make_staff(session, code="X900", roles=("school_admin",), college="")
    await session.commit()

    await raise_from(session, clock, admin, "他说不想活了", about=student)

    assert set(await cards(session)) == {"X900"}  # not an alert to nobody
