"""The simulator JSON API: identity, help, inbox, strangers and the loopback guard."""

from __future__ import annotations

import httpx
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry, InboundMessage, OutboxMessage
from tests.fakes.roster import make_staff, make_student


async def test_mentor_asks_for_help_and_sees_mentor_section(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_staff(session, name="李老师", code="T1001", roles=("counsellor",))
    await session.commit()

    response = await client.post("/sim/api/send", json={"user": "T1001", "text": "帮助"})

    assert response.status_code == 200
    [reply] = response.json()["replies"]
    assert "李老师" in reply["text"]
    assert "【帮扶老师】" in reply["text"]
    assert "【同学】" not in reply["text"]


async def test_student_help_has_no_staff_sections(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_student(session, name="小明", code="2023000001")
    await session.commit()

    response = await client.post("/sim/api/send", json={"user": "2023000001", "text": " 帮助 "})

    [reply] = response.json()["replies"]
    assert "【同学】" in reply["text"]
    assert "【帮扶老师】" not in reply["text"] and "【管理员】" not in reply["text"]


async def test_replies_are_listed_in_the_inbox_after_an_id(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_staff(session, code="T1002")
    await session.commit()

    first = (await client.post("/sim/api/send", json={"user": "T1002", "text": "帮助"})).json()
    await client.post("/sim/api/send", json={"user": "T1002", "text": "我是谁"})
    everything = (await client.get("/sim/api/inbox", params={"user": "T1002"})).json()
    later = await client.get(
        "/sim/api/inbox", params={"user": "T1002", "after": first["replies"][0]["id"]}
    )

    assert len(everything["messages"]) == 2
    [only] = later.json()["messages"]
    assert "T1002" in only["text"]


async def test_an_inbox_asked_with_control_characters_is_cleaned_like_a_send(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Found by the HTTP fuzz on PostgreSQL, which refuses a NUL byte in a query (a 500)."""
    await make_staff(session, code="T1003")
    await session.commit()
    await client.post("/sim/api/send", json={"user": "T1003", "text": "帮助"})

    cleaned = await client.get("/sim/api/inbox", params={"user": "T10\x0003"})
    nothing = await client.get("/sim/api/inbox", params={"user": "\x00"})

    assert cleaned.status_code == 200 and len(cleaned.json()["messages"]) == 1
    assert nothing.status_code == 404


async def test_unknown_user_gets_polite_reply_and_only_an_audit_entry(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await client.post("/sim/api/send", json={"user": "nobody", "text": "你好"})

    [reply] = response.json()["replies"]
    assert "学生工作办公室" in reply["text"]
    audit = (await session.exec(select(AuditEntry))).all()
    assert [entry.action for entry in audit] == ["unknown_account"]
    assert (await session.exec(select(OutboxMessage))).all() == []
    [delivery] = (await session.exec(select(InboundMessage))).all()  # a retry is not re-audited
    assert delivery.channel == "simulator"


async def test_send_needs_exactly_one_of_text_or_button(client: httpx.AsyncClient) -> None:
    both = await client.post("/sim/api/send", json={"user": "x", "text": "a", "button": "b"})
    neither = await client.post("/sim/api/send", json={"user": "x"})

    assert both.status_code == 422
    assert neither.status_code == 422


async def test_people_lists_roles_without_sensitive_fields(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mentor = await make_staff(session, code="T2000", roles=("academic_mentor",))
    await make_student(
        session,
        code="2023999999",
        categories=("orphan",),
        phone="13800001111",
        team={"peer_mentor": await make_student(session, code="2023888888", name="学长")},
    )
    assert mentor.id
    await session.commit()

    people = (await client.get("/sim/api/people")).json()["people"]

    by_code = {p["code"]: p for p in people}
    assert by_code["2023888888"]["roles"] == ["peer_mentor"]
    assert by_code["T2000"]["roles"] == ["academic_mentor"]
    assert "13800001111" not in str(people) and "orphan" not in str(people)


async def test_remote_client_without_token_is_refused(app: object) -> None:
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 40000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as remote:
        response = await remote.get("/sim/api/people")

    assert response.status_code == 403


async def test_healthz_reports_database_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
