"""Sensitive fields are encrypted at rest: the raw database holds no plaintext."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.crypto import DecryptionError, EncryptedText, InvalidKeyError, new_key, validate_key
from storage.db import make_engine, make_sessionmaker
from storage.messaging.outbox import enqueue
from storage.models import (
    AidApplication,
    Alert,
    AlertMessage,
    ApiToken,
    Broadcast,
    CaseClosure,
    CaseFile,
    CaseProblem,
    ConcernReport,
    Conversation,
    HelpRequest,
    OutboxMessage,
    PendingInbound,
    Person,
    Survey,
    SurveyAnswer,
    VisitLog,
    WeeklyReport,
)
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student

PHONE = "13912345678"
GUARDIAN_PHONE = "13787654321"
SUMMARY = "谈到家里困难，已推荐临时困难补助"


async def _raw_dump(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        people = (await connection.execute(text("SELECT * FROM person"))).all()
        logs = (await connection.execute(text("SELECT * FROM visit_log"))).all()
    return repr(people) + repr(logs)


async def test_raw_database_has_no_plaintext_phones_or_summaries(
    engine: AsyncEngine, session: AsyncSession, clock: FakeClock
) -> None:
    mentor = await make_staff(session, phone="13600000000")
    student = await make_student(session, phone=PHONE, guardian_phone=GUARDIAN_PHONE)
    assert student.id and mentor.id
    session.add(
        VisitLog(
            student_id=student.id,
            author_id=mentor.id,
            kind="谈心谈话",
            occurred_at=clock.now(),
            summary=SUMMARY,
            created_at=clock.now(),
        )
    )
    await session.commit()

    raw = await _raw_dump(engine)

    for secret in (PHONE, GUARDIAN_PHONE, "13600000000", SUMMARY, "临时困难补助"):
        assert secret not in raw
    loaded = (await session.exec(select(Person).where(Person.id == student.id))).one()
    assert loaded.phone == PHONE and loaded.guardian_phone == GUARDIAN_PHONE


async def test_reading_with_another_key_fails_loudly(
    engine: AsyncEngine, database_url: str, session: AsyncSession
) -> None:
    await make_student(session, phone=PHONE, code="2023777777")
    await session.commit()
    other = make_engine(database_url, data_key=new_key())
    try:
        async with make_sessionmaker(other)() as wrong:
            with pytest.raises(DecryptionError):
                (await wrong.exec(select(Person).where(Person.code == "2023777777"))).one()
    finally:
        await other.dispose()


def test_key_validation_rejects_placeholders() -> None:
    for bad in ("", "changeme", "x" * 44):
        with pytest.raises(InvalidKeyError):
            validate_key(bad)
    validate_key(new_key())


def _encrypted_columns() -> set[tuple[str, str]]:
    return {
        (table.name, column.name)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText)
    }


def _marker(model: type[SQLModel], column: str) -> str:
    return f"MARKER_{model.__tablename__}_{column}_"  # ASCII: JSON payloads keep it verbatim


async def _one_of_each(session: AsyncSession, clock: FakeClock) -> list[SQLModel]:
    """A row of every table with encrypted columns, each such column holding its marker."""
    now = clock.now()
    staff = await make_staff(session)
    student = await make_student(session)
    assert staff.id and student.id
    for column, marker in _markers(Person, "phone", "guardian_name", "guardian_phone").items():
        setattr(student, column, marker)
    alert = Alert(student_id=student.id, source="message", created_at=now)
    alert.detail = _marker(Alert, "detail")
    session.add(alert)
    await session.flush()
    assert alert.id
    survey = Survey(kind="就业意向", created_at=now, **_markers(Survey, "audience"))
    session.add(survey)
    await session.flush()
    assert survey.id
    case = _markers(
        CaseFile,
        "problem_description",
        "life_history",
        "plan",
        "plan_academic",
        "plan_psych",
        "plan_financial",
        "plan_employment",
    )
    log = _markers(VisitLog, "summary", "risk_description", "follow_up")
    rows: list[SQLModel] = [
        student,
        alert,
        CaseFile(student_id=student.id, opened_at=now, updated_at=now, **case),
        VisitLog(
            student_id=student.id,
            author_id=staff.id,
            kind="谈心谈话",
            occurred_at=now,
            created_at=now,
            **log,
        ),
        Conversation(
            person_id=staff.id,
            channel="wecom",
            form="visit",
            step="summary",
            updated_at=now,
            **_markers(Conversation, "data"),
        ),
        ApiToken(key="wecom:app", expires_at=now, updated_at=now, **_markers(ApiToken, "token")),
        AlertMessage(
            alert_id=alert.id,
            source="message",
            created_at=now,
            **_markers(AlertMessage, "text"),
        ),
        WeeklyReport(
            student_id=student.id,
            author_id=staff.id,
            week_start=now.date(),
            status="危险",
            created_at=now,
            **_markers(WeeklyReport, "note"),
        ),
        AidApplication(
            student_id=student.id,
            teacher_id=staff.id,
            created_at=now,
            **_markers(AidApplication, "reason", "need", "note"),
        ),
        ConcernReport(
            student_id=student.id,
            reporter_id=student.id,
            teacher_id=staff.id,
            created_at=now,
            **_markers(ConcernReport, "text"),
        ),
        HelpRequest(
            student_id=student.id,
            teacher_id=staff.id,
            created_at=now,
            **_markers(HelpRequest, "text"),
        ),
        PendingInbound(
            channel="wecom", dedupe_key="m1", received_at=now, **_markers(PendingInbound, "payload")
        ),
        CaseProblem(
            student_id=student.id,
            category_code="other",
            updated_at=now,
            **_markers(CaseProblem, "description", "verification"),
        ),
        CaseClosure(
            student_id=student.id,
            created_at=now,
            **_markers(CaseClosure, "reason", "decision_note"),
        ),
        survey,
        Broadcast(topic="通知", created_at=now, **_markers(Broadcast, "content", "audience")),
        SurveyAnswer(
            survey_id=survey.id,
            person_id=student.id,
            question="help",
            **_markers(SurveyAnswer, "text"),
        ),
    ]
    session.add_all(rows)
    outbox = await enqueue(
        session,
        channel="wecom",
        person_id=staff.id,
        recipient="T1",
        payload={"kind": "text", "text": _marker(OutboxMessage, "payload")},
        idempotency_key="k1",
        now=now,
    )
    await session.commit()
    return [*rows, outbox]


def _markers(model: type[SQLModel], *columns: str) -> dict[str, str]:
    return {column: _marker(model, column) for column in columns}


async def test_every_encrypted_column_holds_no_plaintext_at_rest(
    engine: AsyncEngine, session: AsyncSession, clock: FakeClock
) -> None:
    rows = await _one_of_each(session, clock)
    written = {
        (type(row).__tablename__, column)
        for row in rows
        for column in type(row).model_fields
        if _marker(type(row), column) in str(getattr(row, column))
    }

    assert written == _encrypted_columns()  # a new encrypted column must be added here
    assert len(written) >= 15
    async with engine.connect() as connection:
        for table in {name for name, _ in written}:
            raw = repr((await connection.execute(text(f"SELECT * FROM {table}"))).all())
            assert "MARKER_" not in raw, table
    for table, column in written:
        model = next(type(row) for row in rows if type(row).__tablename__ == table)
        stored = (await session.exec(select(getattr(model, column)))).all()
        assert any(_marker(model, column) in str(value) for value in stored), (table, column)
