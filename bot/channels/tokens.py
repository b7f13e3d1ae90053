"""An access token cached in the database and shared by every process of the deployment.

One refresh at a time: an in-process lock, plus on PostgreSQL an advisory lock held while the
token is fetched. SQLite deployments are single-process, so there the fetch happens outside
any transaction rather than holding SQLite's write lock during a network call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from storage.db import session_scope
from storage.messaging import tokens

Fetch = Callable[[], Awaitable[tuple[str, int]]]
"""Fetch a new token from the platform: (token, lifetime in seconds)."""


class TokenCache:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        key: str,
        fetch: Fetch,
        margin: timedelta = timedelta(minutes=5),
    ) -> None:
        self._sessions, self._clock, self._key, self._fetch = sessions, clock, key, fetch
        self._margin = margin
        self._lock = asyncio.Lock()
        self._memo: tuple[str, float] | None = None

    async def get(self) -> str:
        """A valid token: from memory, else the database, else fetched (one fetch at a time)."""
        now = self._clock.now()
        if self._memo and self._memo[1] > now.timestamp():
            return self._memo[0]
        return await self._refresh(stale=None)

    async def invalidate(self, stale: str) -> str:
        """The platform rejected `stale` (e.g. WeCom 40014/42001): get a different one."""
        return await self._refresh(stale=stale)

    async def _refresh(self, *, stale: str | None) -> str:
        async with self._lock:
            async with session_scope(self._sessions) as session:
                found = await self._stored(session, stale)
                if found is None and _shared_lock(session):
                    await tokens.lock_for_refresh(session, self._key)
                    found = await self._stored(session, stale) or await self._fetch_and_save(
                        session
                    )
            if found is None:
                async with session_scope(self._sessions) as session:
                    found = await self._fetch_and_save(session, fetched=await self._fetch())
            token, expires_at = found
            self._memo = (token, (expires_at - self._margin).timestamp())
            return token

    async def _stored(
        self, session: AsyncSession, stale: str | None
    ) -> tuple[str, datetime] | None:
        row = await tokens.load(session, self._key)
        if row and row.token != stale and row.expires_at - self._margin > self._clock.now():
            return row.token, row.expires_at
        return None

    async def _fetch_and_save(
        self, session: AsyncSession, fetched: tuple[str, int] | None = None
    ) -> tuple[str, datetime]:
        token, lifetime = fetched or await self._fetch()
        now = self._clock.now()
        expires_at = now + timedelta(seconds=lifetime)
        await tokens.save(session, key=self._key, token=token, expires_at=expires_at, now=now)
        return token, expires_at


def _shared_lock(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"
