"""Factories for people, teams and accounts written straight to the database.

Everyone is added on _EPOCH (before the autumn semester) unless told otherwise; a student's
categories, key attention and seats date from when they were added, or from `since` and
`assigned_at`: the moments the due evaluation starts their clocks at."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import count

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Assignment,
    MessengerAccount,
    Person,
    PersonKind,
    PersonRole,
    StudentCategory,
)
from storage.people.accounts import account_key

_serial = count(1)
_EPOCH = datetime(2026, 9, 1, tzinfo=UTC)


async def make_staff(
    session: AsyncSession,
    *,
    name: str = "王老师",
    roles: tuple[str, ...] = ("counsellor",),
    code: str | None = None,
    college: str = "计算机学院",
    wecom: str | None = None,
    dingtalk: str | None = None,
    phone: str | None = None,
    added: datetime = _EPOCH,
) -> Person:
    person = Person(
        kind=PersonKind.STAFF,
        code=code or f"T{next(_serial):05d}",
        name=name,
        college=college,
        phone=phone,
        created_at=added,
        updated_at=added,
    )
    session.add(person)
    await session.flush()
    assert person.id is not None
    for role in roles:
        session.add(PersonRole(person_id=person.id, role=role))
    await _accounts(session, person, wecom=wecom, dingtalk=dingtalk)
    return person


async def make_student(
    session: AsyncSession,
    *,
    name: str = "张三",
    code: str | None = None,
    college: str = "计算机学院",
    class_name: str = "计科2301",
    dorm: str | None = "东区3栋201",
    categories: tuple[str, ...] = (),
    key_attention: bool = False,
    phone: str | None = None,
    guardian_phone: str | None = None,
    team: dict[str, Person] | None = None,
    wecom: str | None = None,
    dingtalk: str | None = None,
    added: datetime = _EPOCH,
    since: datetime | None = None,
    assigned_at: datetime | None = None,
    privacy_notice_at: datetime | None = _EPOCH,
) -> Person:
    """`since`: when the categories and key attention were given; `assigned_at`: when the
    team took their seats (both default to `added`); `privacy_notice_at`: when they saw the
    privacy notice (None: their next message gets it, tests/handlers/privacy)."""
    since = since or added
    person = Person(
        kind=PersonKind.STUDENT,
        code=code or f"2023{next(_serial):06d}",
        name=name,
        gender="男",
        college=college,
        class_name=class_name,
        dorm=dorm,
        key_attention=key_attention,
        key_attention_since=since if key_attention else None,
        phone=phone,
        guardian_phone=guardian_phone,
        privacy_notice_at=privacy_notice_at,
        created_at=added,
        updated_at=added,
    )
    session.add(person)
    await session.flush()
    assert person.id is not None
    for code_ in categories:
        session.add(StudentCategory(student_id=person.id, category_code=code_, since=since))
    for role, mentor in (team or {}).items():
        assert mentor.id is not None
        seat = Assignment(
            student_id=person.id, role=role, mentor_id=mentor.id, assigned_at=assigned_at or added
        )
        session.add(seat)
    await _accounts(session, person, wecom=wecom, dingtalk=dingtalk)
    await session.flush()
    return person


async def _accounts(
    session: AsyncSession, person: Person, *, wecom: str | None, dingtalk: str | None
) -> None:
    assert person.id is not None
    for channel, account in (("wecom", wecom), ("dingtalk", dingtalk)):
        if account:
            session.add(
                MessengerAccount(
                    person_id=person.id,
                    channel=channel,
                    account=account,
                    account_key=account_key(account),
                )
            )
    await session.flush()


async def mentors_with_a_student(
    session: AsyncSession, accounts: Sequence[str], *, first_code: int
) -> None:
    """An academic mentor per WeCom account (导师N), each with one student of their own
    (学生N, 学号 first_code + N): the people the process-level tests converse as."""
    for n, account in enumerate(accounts):
        mentor = await make_staff(
            session, name=f"导师{n}", roles=("academic_mentor",), wecom=account
        )
        code = str(first_code + n)
        await make_student(session, name=f"学生{n}", code=code, team={"academic_mentor": mentor})
