"""Map a messenger account to a person and the roles they hold."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Person
from storage.people import find_by_account, roles_of


@dataclass(frozen=True, slots=True)
class Identity:
    person: Person
    roles: frozenset[str]

    @property
    def person_id(self) -> int:
        assert self.person.id is not None
        return self.person.id


async def identify(session: AsyncSession, *, channel: str, account: str) -> Identity | None:
    person = await find_by_account(session, channel=channel, account=account)
    if person is None:
        return None
    return Identity(person=person, roles=await roles_of(session, person))
