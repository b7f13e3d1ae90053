"""The privacy notice: once after a student's first answer (after any crisis care), `隐私`
again for anyone, and never twice when two first messages are handled at once."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from messages.render import render
from storage.db import make_sessionmaker
from storage.models import Person
from storage.people.privacy import claim_privacy_notice
from tests.fakes.chat import Chat
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student

NOTICE = render("privacy_notice")


@pytest.fixture
async def people(session: AsyncSession) -> None:
    mentor = await make_staff(session, name="王老师", code="T100", roles=("counsellor",))
    peer = await make_student(
        session, name="学长", code="P001", class_name="计科2201", privacy_notice_at=None
    )
    await make_student(
        session,
        name="张三",
        code="S001",
        team={"student_affairs": mentor, "peer_mentor": peer},
        privacy_notice_at=None,
    )
    await session.commit()


def _texts(chat: Chat) -> list[str]:
    return [reply["text"] for reply in chat.replies]


@pytest.mark.usefixtures("people")
async def test_a_student_hears_the_notice_once_after_the_answer_and_again_on_request(
    client: httpx.AsyncClient, session: AsyncSession, clock: FakeClock
) -> None:
    chat = Chat(client, "S001")
    await chat.say("我是谁")
    first = _texts(chat)
    await chat.say("我是谁")
    second = _texts(chat)
    await chat.say("隐私")
    asked = _texts(chat)

    assert first[-1] == NOTICE and len(first) == 2 and "张三" in first[0]
    assert NOTICE not in second
    assert asked == [NOTICE]
    stored = (await session.exec(select(Person).where(Person.code == "S001"))).one()
    assert stored.privacy_notice_at == clock.now()
    for word in ("保存什么", "为什么", "谁能看到", "其他同学看不到", "辅导员", "「隐私」"):
        assert word in NOTICE
    # the same words for every student: nothing in it says a student is in special care
    for word in ("帮扶", "1+1+1", "特殊", "朋辈"):
        assert word not in NOTICE


@pytest.mark.usefixtures("people")
async def test_a_peer_mentor_is_a_student_and_staff_only_on_request(
    client: httpx.AsyncClient,
) -> None:
    peer, staff = Chat(client, "P001"), Chat(client, "T100")
    await peer.say("帮助")
    await staff.say("帮助")
    staff_first = _texts(staff)
    await staff.say("隐私")

    assert _texts(peer)[-1] == NOTICE
    assert NOTICE not in staff_first
    assert _texts(staff) == [NOTICE]


@pytest.mark.usefixtures("people")
async def test_a_first_message_in_crisis_gets_the_hotline_first(client: httpx.AsyncClient) -> None:
    chat = Chat(client, "S001")
    await chat.say("我真的不想活了")
    replies = _texts(chat)

    assert "400-161-9995" in replies[0]
    assert replies[-1] == NOTICE and replies.count(NOTICE) == 1


@pytest.mark.usefixtures("people")
async def test_a_first_message_that_is_the_privacy_word_shows_it_once(
    client: httpx.AsyncClient,
) -> None:
    chat = Chat(client, "S001")
    await chat.say("隐私")
    first = _texts(chat)
    await chat.say("我是谁")

    assert first == [NOTICE]
    assert NOTICE not in _texts(chat)


@pytest.mark.usefixtures("people")
async def test_two_first_messages_at_once_claim_the_notice_once(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    """The first handling has claimed but not committed when the second claims: the second
    waits (PostgreSQL's row lock, SQLite's write lock), then finds the notice shown."""
    sessions: async_sessionmaker[AsyncSession] = make_sessionmaker(engine)
    async with sessions() as first, sessions() as second:
        student = (await first.exec(select(Person).where(Person.code == "S001"))).one()
        claimed = await claim_privacy_notice(first, person_id=student.id or 0, now=clock.now())
        racing = asyncio.create_task(
            claim_privacy_notice(second, person_id=student.id or 0, now=clock.now())
        )
        done, _ = await asyncio.wait({racing}, timeout=0.3)
        await first.commit()
        claimed_again = await racing
        await second.commit()

    assert claimed is True and not done
    assert claimed_again is False
