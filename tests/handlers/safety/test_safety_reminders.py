"""Reminders that keep students safe: a seat's own rule is satisfied only by that seat's
contacts, and a peer mentor's pushed digest never says who is under key attention."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import resources

import httpx
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Context, HandlerConfig
from handlers.policy.load import Policy, load_policy, parse_policy
from handlers.reminders.digest import send_digests
from handlers.reminders.items import due_for
from storage.messaging.outbox import payload_of
from storage.models import OutboxMessage
from storage.people.identify import AccountMatch
from tests.fakes.care_roster import build_college, log_visit
from tests.fakes.chat import Chat
from tests.fakes.clock import SHANGHAI

NOW = datetime(2026, 11, 23, 9, tzinfo=SHANGHAI)
SHIPPED = resources.files("storage").joinpath("data/policy.toml").read_text("utf-8")
PEER_RULE = """
[[rule]]
id = "peer_company"
title = "朋辈陪伴"
students = "special"
responsible = "peer_mentor"
kinds = ["谈心谈话"]
cadence = { every_days = 7 }
"""


def _ctx(session: AsyncSession, policy: Policy) -> Context:
    config = HandlerConfig(
        tz=SHANGHAI,
        hotline="x",
        channels=("simulator",),
        policy=policy,
        account_match={"simulator": AccountMatch.ROSTER_CODE},
    )
    return Context(session=session, now=NOW, config=config)


async def test_the_academic_mentors_dorm_visits_do_not_satisfy_the_counsellors_rule(
    session: AsyncSession,
) -> None:
    college = await build_college(session, students=2, key_attention=0)
    by_mentor, by_counsellor = college.students
    for days in (3, 10):
        at = NOW - timedelta(days=days)
        await log_visit(session, by_mentor, college.mentor, kind="走访寝室", at=at)
        await log_visit(session, by_counsellor, college.counsellor, kind="走访寝室", at=at)

    board = await due_for(_ctx(session, load_policy()), college.counsellor.id)

    dorm = {i.student.id for i in board[college.counsellor.id or 0] if i.rule_id == "dorm_visit"}
    assert dorm == {by_mentor.id}


async def test_a_peer_mentors_pushed_digest_never_shows_key_attention(
    session: AsyncSession,
) -> None:
    college = await build_college(session, students=2, key_attention=1)
    policy = parse_policy(SHIPPED + PEER_RULE)

    assert await send_digests(_ctx(session, policy), as_of=NOW) >= 2

    texts = await _digest_texts(session)
    key = college.students[0]
    assert key.name in texts["P300"] and "重点关注" not in texts["P300"]
    assert f"{key.name}（{key.class_name}） · 重点关注" in texts["T100"]  # staff do see it


async def _digest_texts(session: AsyncSession) -> dict[str, str]:
    digests = col(OutboxMessage.idempotency_key).startswith("digest:")
    rows = (await session.exec(select(OutboxMessage).where(digests))).all()
    texts: dict[str, str] = {}
    for row in rows:
        texts[row.recipient] = texts.get(row.recipient, "") + payload_of(row)["text"]
    return texts


async def test_a_teacher_asking_to_send_todays_reminders_hears_the_real_reason(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await build_college(session, students=1, key_attention=0)
    await session.commit()

    reply = await Chat(client, "T100").say("发送今日提醒")

    assert "只有学院或学校管理员" in reply and "帮扶小组" not in reply
