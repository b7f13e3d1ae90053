"""A stranger's retried WeCom delivery is answered again but put on record once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.wecom_callbacks import CallbackBuilder, fake_server, running_app, wecom_settings


async def test_a_strangers_retry_is_answered_and_audited_once(
    database_url: str, clock: FakeClock, engine: AsyncEngine, session: AsyncSession
) -> None:
    builder = CallbackBuilder(clock)
    callback = builder.text("Stranger", "你好")
    settings = wecom_settings(database_url, DATA_KEY)
    async with running_app(settings, clock, fake_server(clock)) as (_, client):
        first = await client.post("/wecom/callback", params=callback.params, content=callback.body)
        again = await client.post("/wecom/callback", params=callback.params, content=callback.body)

    for response in (first, again):
        assert response.status_code == 200
        assert "学工办" in builder.open_reply(response.content)["Content"]
    audit = (await session.exec(select(AuditEntry))).all()
    assert [entry.action for entry in audit] == ["unknown_account"]
