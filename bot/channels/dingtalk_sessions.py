"""Where each user's 1:1 sessionWebhook is remembered until it expires.

The webhook reaches the sender through the database, in the shared token table (key
`dingtalk-session:<robot>:<account>`, the URL encrypted like any token): the callback may land
on one replica and the outbox row be sent by another, or by the clock process. A reply without
a usable webhook goes through the robot API, which always works for staff ids.

Only URLs on DingTalk's own hosts are kept: the callback signature covers the timestamp, not
the body, so a replayed header pair must not be able to point our replies elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from storage import tokens
from storage.db import session_scope
from storage.models import ApiToken

MARGIN = timedelta(seconds=60)  # a webhook about to expire is not worth the attempt
WEBHOOK_PATH = "/robot/sendBySession"
KEY_LIMIT = 128


def webhook_hosts(api_base: str) -> frozenset[str]:
    """api.dingtalk.com → {api.dingtalk.com, oapi.dingtalk.com} (likewise for .io)."""
    host = (urlsplit(api_base).hostname or "").lower()
    return frozenset({host, "oapi." + host.removeprefix("api.")})


class SessionWebhooks:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        robot_code: str,
        api_base: str,
    ) -> None:
        self._sessions, self._clock, self._robot = sessions, clock, robot_code
        self._hosts = webhook_hosts(api_base)
        self._secure = urlsplit(api_base).scheme == "https"

    def _key(self, account: str) -> str:
        return f"dingtalk-session:{self._robot}:{account}"

    def acceptable(self, url: str) -> bool:
        parts = urlsplit(url)
        scheme_ok = parts.scheme == "https" or (not self._secure and parts.scheme == "http")
        host = (parts.hostname or "").lower()
        return scheme_ok and host in self._hosts and parts.path == WEBHOOK_PATH

    async def remember(self, account: str, url: str, expires_at: datetime) -> bool:
        """Keep the webhook for later replies; False when it is unusable (foreign, expired)."""
        now = self._clock.now()
        key = self._key(account)
        if len(key) > KEY_LIMIT or not self.acceptable(url) or expires_at - MARGIN <= now:
            return False
        try:
            async with session_scope(self._sessions) as session:
                await tokens.save(session, key=key, token=url, expires_at=expires_at, now=now)
        except IntegrityError:  # a concurrent message of the same user stored it first
            return False
        return True

    async def lookup(self, accounts: Sequence[str]) -> dict[str, str]:
        """Usable webhooks of these accounts: {account: url}."""
        keys = {self._key(account): account for account in accounts}
        soon = self._clock.now() + MARGIN
        query = (
            select(ApiToken)
            .where(col(ApiToken.key).in_(list(keys)))
            .where(col(ApiToken.expires_at) > soon)
        )
        async with self._sessions() as session:
            rows = (await session.exec(query)).all()
        return {keys[row.key]: row.token for row in rows if self.acceptable(row.token)}
