"""What the database already holds about the roster, loaded in a few set-wise queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar, cast

from sqlalchemy import Table
from sqlalchemy import select as select_columns
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Assignment,
    Category,
    Channel,
    MessengerAccount,
    Person,
    PersonRole,
    StudentCategory,
)


def table(model: type) -> Table:
    """The Core table behind a SQLModel class, for bulk statements without ORM overhead."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


PERSON = table(Person)
PERSON_FIELDS = (
    "name",
    "gender",
    "college",
    "major",
    "class_name",
    "grade",
    "dorm",
    "native_place",
    "birth_date",
    "key_attention",
    "graduation_year",
    "phone",
    "guardian_name",
    "guardian_phone",
)
ACCOUNT_CHANNELS = (Channel.WECOM.value, Channel.DINGTALK.value)
CHUNK = 2000
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class Known:
    id: int
    kind: str


@dataclass
class Current:
    """A person's stored values in the shape of a record, to tell whether a row changed, and
    the dates a re-import keeps: when each category was given and each seat taken."""

    fields: dict[str, object]
    roles: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    team: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, frozenset[str]] = field(default_factory=dict)
    category_since: dict[str, datetime | None] = field(default_factory=dict)
    seat_since: dict[str, datetime | None] = field(default_factory=dict)


@dataclass
class Snapshot:
    categories: dict[str, str]
    people: dict[str, Known]
    codes: dict[int, str]
    roles: dict[int, set[str]]
    accounts: dict[tuple[str, str], int]
    current: dict[int, Current] = field(default_factory=dict)


async def load_snapshot(session: AsyncSession) -> Snapshot:
    """Categories by name, everyone's code, kind and roster roles, and every account key."""
    categories = await session.exec(
        select(Category.name, Category.code).order_by(col(Category.sort_order), col(Category.code))
    )
    people = await session.exec(select(Person.code, Person.id, Person.kind))
    known = {code: Known(person_id, kind) for code, person_id, kind in people.all() if person_id}
    roles: dict[int, set[str]] = defaultdict(set)
    rows = await session.exec(select(PersonRole.person_id, PersonRole.role))
    for person_id, role in rows.all():
        roles[person_id].add(role)
    accounts = await session.exec(
        select(MessengerAccount.channel, MessengerAccount.account_key, MessengerAccount.person_id)
    )
    return Snapshot(
        categories={name: code for name, code in categories.all()},
        people=known,
        codes={person.id: code for code, person in known.items()},
        roles=roles,
        accounts={(channel, key): person_id for channel, key, person_id in accounts.all()},
    )


async def load_current(session: AsyncSession, snapshot: Snapshot, ids: Iterable[int]) -> None:
    """Fill snapshot.current for the given people: fields decrypted, relations by code."""
    wanted = sorted(set(ids))
    columns = [PERSON.c.id, *(PERSON.c[name] for name in PERSON_FIELDS)]
    connection = await session.connection()
    for chunk in chunks(wanted):
        rows = await connection.execute(select_columns(*columns).where(PERSON.c.id.in_(chunk)))
        for person_id, *values in rows.all():
            snapshot.current[person_id] = Current(dict(zip(PERSON_FIELDS, values, strict=True)))
    current = snapshot.current
    for person_id, roles in snapshot.roles.items():
        if person_id in current:
            current[person_id].roles = frozenset(roles)
    await _load_relations(session, snapshot)


async def _load_relations(session: AsyncSession, snapshot: Snapshot) -> None:
    current = snapshot.current
    categories: dict[int, set[str]] = defaultdict(set)
    pairs = await session.exec(
        select(StudentCategory.student_id, StudentCategory.category_code, StudentCategory.since)
    )
    for student_id, category, since in pairs.all():
        if student_id in current:
            categories[student_id].add(category)
            current[student_id].category_since[category] = since
    for student_id, codes in categories.items():
        current[student_id].categories = frozenset(codes)
    seats = await session.exec(
        select(Assignment.student_id, Assignment.role, Assignment.mentor_id, Assignment.assigned_at)
    )
    for student_id, role, mentor_id, assigned_at in seats.all():
        if student_id in current:
            current[student_id].team[role] = snapshot.codes[mentor_id]
            current[student_id].seat_since[role] = assigned_at
    await _load_accounts(session, current)


async def _load_accounts(session: AsyncSession, current: dict[int, Current]) -> None:
    accounts: dict[tuple[int, str], set[str]] = defaultdict(set)
    rows = await session.exec(
        select(
            MessengerAccount.person_id, MessengerAccount.channel, MessengerAccount.account
        ).where(col(MessengerAccount.channel).in_(ACCOUNT_CHANNELS))
    )
    for person_id, channel, account in rows.all():
        if person_id in current:
            accounts[person_id, channel].add(account)
    for (person_id, channel), names in accounts.items():
        current[person_id].accounts[channel] = frozenset(names)
