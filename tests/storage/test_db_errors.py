"""The database engine never puts statement parameters (what people wrote) into errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Person
from tests.fakes.roster import make_staff

NOW = datetime(2026, 12, 1, tzinfo=UTC)


async def test_a_database_error_never_carries_the_values_written(session: AsyncSession) -> None:
    await make_staff(session, code="T1")
    await session.commit()
    secret = "家里欠债的秘密"
    session.add(Person(kind="staff", code="T1", name=secret, created_at=NOW, updated_at=NOW))

    with pytest.raises(IntegrityError) as caught:
        await session.flush()

    assert "家里欠债" not in str(caught.value)
    assert "hidden" in str(caught.value)
    await session.rollback()
