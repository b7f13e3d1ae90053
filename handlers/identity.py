"""Map a messenger account to a person and the roles they hold."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import people
from storage.models import Person


@dataclass(frozen=True, slots=True)
class Identity:
    person: Person
    roles: frozenset[str]

    @property
    def person_id(self) -> int:
        assert self.person.id is not None
        return self.person.id


async def identify(session: AsyncSession, *, channel: str, account: str) -> Identity | None:
    found = await people.identify(session, channel=channel, account=account)
    if found is None:
        return None
    return Identity(person=found[0], roles=found[1])
