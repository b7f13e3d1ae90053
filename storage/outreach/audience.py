"""Who a broadcast reaches: filters over the roster, limited to the sender's scope, minus the
people it cannot or should not reach (no messenger account, unsubscribed, graduated)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, exists
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Assignment,
    Category,
    MessengerAccount,
    Person,
    PersonKind,
    StudentCategory,
    TeamRole,
)
from storage.outreach.subscriptions import unsubscribed
from storage.people.identify import AccountMatch

AudienceRole = Literal["student", "mentor", "all"]
LeftOut = Literal["no_account", "unsubscribed", "graduated"]
CHUNK = 10_000


@dataclass(frozen=True)
class Filters:
    """An audience definition; empty fields do not filter. `role` "mentor" means the team
    members (1+1+1 seats) of the students the other filters select; "all" means both."""

    colleges: tuple[str, ...] = ()
    majors: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    grades: tuple[int, ...] = ()
    graduating_years: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    """Category names as in storage/data/categories.toml."""
    key_attention: bool | None = None
    role: AudienceRole = "student"
    student_numbers: tuple[str, ...] = ()

    @property
    def sensitive(self) -> bool:
        """Whether the audience itself reveals something about its members."""
        return bool(self.categories) or self.key_attention is not None


@dataclass(frozen=True)
class Scope:
    """Whom a sender may reach (handlers.access.rules.broadcast_scope decides):
    the whole school, one college, or the students whose student-affairs teacher they are."""

    college: str | None = None
    student_affairs_of: int | None = None
    everyone: bool = False

    @property
    def nobody(self) -> bool:
        return not self.everyone and self.college is None and self.student_affairs_of is None


@dataclass
class Audience:
    recipients: list[int] = field(default_factory=list)
    """Reachable, subscribed people, by id (ascending)."""
    left_out: list[tuple[int, str]] = field(default_factory=list)
    """(person id, reason): "no_account" | "unsubscribed" | "graduated"."""

    @property
    def matched(self) -> int:
        return len(self.recipients) + len(self.left_out)


def current_class_year(now: datetime) -> int:
    """The graduation year of this academic year's final-year class (September turns it);
    a student whose graduation year is before it has graduated."""
    return now.year + 1 if now.month >= 9 else now.year


async def resolve(
    session: AsyncSession,
    filters: Filters,
    *,
    within: Scope,
    topic: str,
    channels: Mapping[str, AccountMatch],
    now: datetime,
    class_year: int | None = None,
) -> Audience:
    """The audience of `filters` inside `within`, for a notice on `topic`.

    `channels`: the enabled channels and how they address people (a roster-code channel,
    the simulator, reaches everyone). `class_year`: the final-year class's graduation year
    (handlers pass the policy calendar's; default `current_class_year(now)`). Graduated
    people are left out unless the filter names graduation years itself."""
    if within.nobody:
        return Audience()
    rows = await _matching(session, filters, within)
    year = class_year if class_year is not None else current_class_year(now)
    audience = Audience()
    candidates: list[int] = []
    for person_id, graduation_year in rows:
        if _graduated(graduation_year, year) and not filters.graduating_years:
            audience.left_out.append((person_id, "graduated"))
        else:
            candidates.append(person_id)
    off = await unsubscribed(session, candidates, topic)
    reachable = await _reachable(session, [p for p in candidates if p not in off], channels)
    for person_id in candidates:
        if person_id in off:
            audience.left_out.append((person_id, "unsubscribed"))
        elif person_id in reachable:
            audience.recipients.append(person_id)
        else:
            audience.left_out.append((person_id, "no_account"))
    audience.left_out.sort()
    return audience


def _graduated(graduation_year: int | None, class_year: int) -> bool:
    return graduation_year is not None and graduation_year < class_year


async def _matching(
    session: AsyncSession, filters: Filters, within: Scope
) -> list[tuple[int, int | None]]:
    students = await _student_query(session, filters, within)
    wanted: list[Any] = []
    if filters.role in ("student", "all"):
        wanted.append(students)
    if filters.role in ("mentor", "all"):
        wanted.append(
            select(col(Assignment.mentor_id)).where(col(Assignment.student_id).in_(students))
        )
    found: dict[int, int | None] = {}
    for ids in wanted:
        query = select(col(Person.id), col(Person.graduation_year)).where(col(Person.id).in_(ids))
        found.update((pid, year) for pid, year in (await session.exec(query)).all() if pid)
    return sorted(found.items())


async def _student_query(session: AsyncSession, filters: Filters, within: Scope) -> Select[Any]:
    person = Person.__table__.c  # type: ignore[attr-defined]
    query = _addressable(select(person.id), within)
    for column, values in (
        (person.college, filters.colleges),
        (person.major, filters.majors),
        (person.class_name, filters.classes),
        (person.code, filters.student_numbers),
        (person.grade, tuple(str(grade) for grade in filters.grades)),
        (person.graduation_year, filters.graduating_years),
    ):
        if values:
            query = query.where(column.in_(values))
    if filters.key_attention is not None:
        query = query.where(person.key_attention.is_(filters.key_attention))
    if filters.categories:
        codes = await category_codes(session, filters.categories)
        query = query.where(
            exists()
            .where(col(StudentCategory.student_id) == person.id)
            .where(col(StudentCategory.category_code).in_(codes))
        )
    return query


def _seat_of(student_id: Any, teacher_id: int) -> Any:
    return (
        exists()
        .where(col(Assignment.student_id) == student_id)
        .where(col(Assignment.role) == TeamRole.STUDENT_AFFAIRS)
        .where(col(Assignment.mentor_id) == teacher_id)
    )


async def category_codes(session: AsyncSession, names: Sequence[str]) -> list[str]:
    query = select(col(Category.code)).where(col(Category.name).in_(names))
    return list((await session.exec(query)).all())


async def _reachable(
    session: AsyncSession, person_ids: Sequence[int], channels: Mapping[str, AccountMatch]
) -> set[int]:
    if AccountMatch.ROSTER_CODE in channels.values():
        return set(person_ids)
    wanted = [name for name, match in channels.items() if match is AccountMatch.MESSENGER_ACCOUNT]
    found: set[int] = set()
    for start in range(0, len(person_ids), CHUNK):
        query = select(col(MessengerAccount.person_id)).where(
            col(MessengerAccount.channel).in_(wanted),
            col(MessengerAccount.person_id).in_(person_ids[start : start + CHUNK]),
        )
        found.update((await session.exec(query)).all())
    return found


FIELDS = {"colleges": "college", "majors": "major", "classes": "class_name"}


async def known_values(session: AsyncSession, name: str) -> list[str]:
    """The values a text filter field ("colleges", "majors", "classes") has among students."""
    column = getattr(Person.__table__.c, FIELDS[name])  # type: ignore[attr-defined]
    query = (
        select(column)
        .where(Person.__table__.c.kind == PersonKind.STUDENT)  # type: ignore[attr-defined]
        .where(column.is_not(None))
        .distinct()
        .order_by(column)
    )
    return [value for value in (await session.exec(query)).all() if value]


async def unknown_values(session: AsyncSession, filters: Filters) -> dict[str, list[str]]:
    """Text filter fields naming a value no student has: field → the valid values."""
    problems: dict[str, list[str]] = {}
    for name in FIELDS:
        given: tuple[str, ...] = getattr(filters, name)
        if not given:
            continue
        valid = await known_values(session, name)
        if set(given) - set(valid):
            problems[name] = valid
    return problems


def _addressable(query: Select[Any], within: Scope) -> Select[Any]:
    """`query` over the students a sender with scope `within` may address."""
    person = Person.__table__.c  # type: ignore[attr-defined]
    query = query.where(person.kind == PersonKind.STUDENT)
    query = query.where(person.archived_at.is_(None))  # archived by retention: never addressed
    if within.college is not None and not within.everyone:
        query = query.where(person.college == within.college)
    if within.student_affairs_of is not None and not within.everyone:
        query = query.where(_seat_of(person.id, within.student_affairs_of))
    return query


async def unknown_student_numbers(
    session: AsyncSession, numbers: Sequence[str], *, within: Scope
) -> list[str]:
    """The pasted 学号 that match none of the students the sender may address, in the order
    given: a student outside the sender's scope reads exactly as a number nobody has, so a
    broadcast never tells whether someone else's student exists."""
    person = Person.__table__.c  # type: ignore[attr-defined]
    known: set[str] = set()
    wanted = list(dict.fromkeys(numbers))
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        query = _addressable(select(person.code).where(person.code.in_(chunk)), within)
        rows = await (await session.connection()).execute(query)
        known.update(code for (code,) in rows if code)
    return [number for number in wanted if number not in known]
