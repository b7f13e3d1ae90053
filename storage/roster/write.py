"""Deciding what an import changes and writing it with bulk statements.

The dates the due evaluation starts clocks at are the import's `now` for what is new, and kept
for what stays: a seat whose holder did not change keeps `assigned_at`, a category the student
already had keeps `since`, an unchanged key-attention flag keeps `key_attention_since`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Assignment,
    MessengerAccount,
    Person,
    PersonRole,
    StudentCategory,
)
from storage.people.accounts import account_key
from storage.roster.rows import Record
from storage.roster.sheet import Ticker
from storage.roster.state import PERSON, PERSON_FIELDS, Current, Snapshot, chunks, table

_BLANK_PERSON: dict[str, object] = {name: None for name in PERSON_FIELDS} | {"key_attention": False}
KEY_SINCE = "key_attention_since"


@dataclass
class Plan:
    created: list[Record] = field(default_factory=list)
    updated: list[tuple[int, Record]] = field(default_factory=list)
    unchanged: list[Record] = field(default_factory=list)
    current: dict[int, Current] = field(default_factory=dict)
    """What the updated people hold now: the dates to keep."""


def plan_changes(records: Iterable[Record], snapshot: Snapshot) -> Plan:
    """Sort records into new, changed and unchanged people (decrypted values compared)."""
    plan = Plan()
    for record in records:
        known = snapshot.people.get(record.code)
        if known is None:
            plan.created.append(record)
        elif differs(record, snapshot.current[known.id]):
            plan.updated.append((known.id, record))
            plan.current[known.id] = snapshot.current[known.id]
        else:
            plan.unchanged.append(record)
    return plan


def differs(record: Record, current: Current) -> bool:
    """Whether applying the row would change anything the row speaks about."""
    return (
        any(current.fields.get(name) != value for name, value in record.fields.items())
        or (record.roles is not None and record.roles != current.roles)
        or (record.categories is not None and record.categories != current.categories)
        or any(current.team.get(seat) != code for seat, code in record.team.items())
        or any(
            current.accounts.get(channel, frozenset()) != frozenset([account] if account else [])
            for channel, account in record.accounts.items()
        )
    )


async def apply_plan(session: AsyncSession, plan: Plan, *, now: datetime, ticker: Ticker) -> None:
    """Write people, then replace the relations of every new or changed row."""
    connection = await session.connection()
    await _insert_people(connection, plan.created, now=now, ticker=ticker)
    await _update_people(connection, plan, now=now, ticker=ticker)
    ticker.advance(len(plan.unchanged))
    people = await session.exec(select(Person.code, Person.id))
    ids = {code: person_id for code, person_id in people.all() if person_id is not None}
    await _clear_relations(connection, plan.updated)
    written = [*plan.created, *(record for _, record in plan.updated)]
    await _insert_relations(connection, written, _Dates(ids, plan.current, now))


async def _insert_many(
    connection: AsyncConnection, model: type, rows: list[dict[str, Any]]
) -> None:
    """Core executemany in chunks: no ORM bookkeeping for tens of thousands of rows."""
    statement = insert(table(model))
    for chunk in chunks(rows):
        await connection.execute(statement, list(chunk))


async def _insert_people(
    connection: AsyncConnection, records: list[Record], *, now: datetime, ticker: Ticker
) -> None:
    statement = insert(PERSON)
    for chunk in chunks(records):
        rows = [
            _BLANK_PERSON
            | record.fields
            | {KEY_SINCE: now if record.fields.get("key_attention") else None}
            | {"kind": record.kind.value, "code": record.code, "created_at": now, "updated_at": now}
            for record in chunk
        ]
        await connection.execute(statement, rows)
        ticker.advance(len(chunk))


async def _update_people(
    connection: AsyncConnection, plan: Plan, *, now: datetime, ticker: Ticker
) -> None:
    """UPDATE ... WHERE id = ? per row, one executemany per set of columns the sheet has."""
    for chunk in chunks(plan.updated):
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for person_id, record in chunk:
            fields = record.fields | _key_since(record, plan.current[person_id], now)
            values = {f"new_{name}": value for name, value in fields.items()}
            row = values | {"person_id": person_id, "new_updated_at": now}
            groups[(*fields, "updated_at")].append(row)
        for names, rows in groups.items():
            statement = (
                update(PERSON)
                .where(PERSON.c.id == bindparam("person_id"))
                .values({name: bindparam(f"new_{name}") for name in names})
            )
            await connection.execute(statement, rows)
        ticker.advance(len(chunk))


def _key_since(record: Record, current: Current, now: datetime) -> dict[str, object]:
    """key_attention_since when the row turns the flag on (now) or off (None), else nothing."""
    if "key_attention" not in record.fields:
        return {}
    flag = bool(record.fields["key_attention"])
    if flag == bool(current.fields.get("key_attention")):
        return {}
    return {KEY_SINCE: now if flag else None}


class _Scope(NamedTuple):
    """What a row speaks about beyond its own fields: its sheet's relation columns."""

    roles: bool
    categories: bool
    seats: frozenset[str]
    channels: frozenset[str]


async def _clear_relations(connection: AsyncConnection, pairs: list[tuple[int, Record]]) -> None:
    """Delete what changed rows speak about; columns absent from the file are left alone."""
    groups: dict[_Scope, list[int]] = defaultdict(list)
    for person_id, record in pairs:
        scope = _Scope(
            record.roles is not None,
            record.categories is not None,
            frozenset(record.team),
            frozenset(record.accounts),
        )
        groups[scope].append(person_id)
    for scope, ids in groups.items():
        for chunk in chunks(ids):
            await _clear_chunk(connection, list(chunk), scope)


async def _clear_chunk(connection: AsyncConnection, ids: list[int], scope: _Scope) -> None:
    if scope.roles:
        await connection.execute(delete(PersonRole).where(col(PersonRole.person_id).in_(ids)))
    if scope.categories:
        await connection.execute(
            delete(StudentCategory).where(col(StudentCategory.student_id).in_(ids))
        )
    if scope.seats:
        await connection.execute(
            delete(Assignment)
            .where(col(Assignment.student_id).in_(ids))
            .where(col(Assignment.role).in_(scope.seats))
        )
    if scope.channels:
        await connection.execute(
            delete(MessengerAccount)
            .where(col(MessengerAccount.person_id).in_(ids))
            .where(col(MessengerAccount.channel).in_(scope.channels))
        )


class _Dates(NamedTuple):
    """Ids by code, and what the relations' dates become: kept from `current`, else `now`."""

    ids: dict[str, int]
    current: dict[int, Current]
    now: datetime

    def since(self, person_id: int, category: str) -> datetime | None:
        held = self.current.get(person_id)
        if held is None or category not in held.categories:
            return self.now
        return held.category_since.get(category)

    def assigned_at(self, person_id: int, seat: str, mentor: str) -> datetime | None:
        held = self.current.get(person_id)
        if held is None or held.team.get(seat) != mentor:
            return self.now
        return held.seat_since.get(seat)


async def _insert_relations(
    connection: AsyncConnection, records: list[Record], dates: _Dates
) -> None:
    rows: dict[type, list[dict[str, Any]]] = {
        PersonRole: [],
        StudentCategory: [],
        Assignment: [],
        MessengerAccount: [],
    }
    for record in records:
        for model, row in _relation_rows(record, dates):
            rows[model].append(row)
    for model, model_rows in rows.items():
        await _insert_many(connection, model, model_rows)


def _relation_rows(record: Record, dates: _Dates) -> Iterator[tuple[type, dict[str, Any]]]:
    """The role, category, team and account rows a record speaks for."""
    ids = dates.ids
    person_id = ids[record.code]
    for role in record.roles or ():
        yield PersonRole, {"person_id": person_id, "role": role}
    for code in record.categories or ():
        since = dates.since(person_id, code)
        yield StudentCategory, {"student_id": person_id, "category_code": code, "since": since}
    for seat, mentor in record.team.items():
        if mentor is not None:
            taken = dates.assigned_at(person_id, seat, mentor)
            seat_row = {"student_id": person_id, "role": seat, "mentor_id": ids[mentor]}
            yield Assignment, seat_row | {"assigned_at": taken}
    for channel, name in record.accounts.items():
        if name is not None:
            account = {"channel": channel, "account": name, "account_key": account_key(name)}
            yield MessengerAccount, {"person_id": person_id, **account}
