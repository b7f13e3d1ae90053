"""The 1:1 sessionWebhooks of senders without a staff id, remembered until they expire.

Who is answered how: anyone with a staff id (everyone on the roster) only ever through the
robot API (oToMessages/batchSend), which delivers to that user's own 1:1 chat with our robot,
whatever a callback said. A sessionWebhook comes in the body, which the signature does not
cover, and any robot's webhook lives on DingTalk's hosts: nothing proves it is this person's
chat with us, so it could carry a view, an alert or an export to someone else. It is used only
for `$sender:` accounts (no staff id): they match no roster entry, get nothing but the polite
unknown-user reply, and cannot be reached any other way. batchSend is as quick as the webhook
(one call, the token is shared), so ordinary replies lose nothing.

Such a webhook reaches the sender through the database, in the shared token table (key
`dingtalk-session:<robot>:<account>`, the URL encrypted like any token): the callback may land
on one replica and the outbox row be sent by another. Only https URLs of DingTalk's
`/robot/sendBySession` on its own API hosts (`oapi.`/`api.dingtalk.com`) are kept, and only
under the account of the callback that brought them, so no callback replaces a staff member's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.dingtalk.inbound import SENDER_PREFIX
from bot.clock import Clock
from storage.db import session_scope
from storage.messaging import tokens
from storage.models import ApiToken

MARGIN = timedelta(seconds=60)  # a webhook about to expire is not worth the attempt
WEBHOOK_PATH = "/robot/sendBySession"
KEY_LIMIT = 128


def answered_in_session(account: str) -> bool:
    """Whether replies to this account may go through its session webhook (see above)."""
    return account.startswith(SENDER_PREFIX)


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
        """Keep the webhook for later replies; False when it is not to be used (a staff id, a
        foreign URL, expired)."""
        now = self._clock.now()
        key = self._key(account)
        if not answered_in_session(account) or len(key) > KEY_LIMIT or not self.acceptable(url):
            return False
        if expires_at - MARGIN <= now:
            return False
        try:
            async with session_scope(self._sessions) as session:
                await tokens.save(session, key=key, token=url, expires_at=expires_at, now=now)
        except IntegrityError:  # a concurrent message of the same user stored it first
            return False
        return True

    async def lookup(self, accounts: Sequence[str]) -> dict[str, str]:
        """Usable webhooks of these accounts: {account: url}."""
        keys = {self._key(a): a for a in accounts if answered_in_session(a)}
        if not keys:
            return {}
        soon = self._clock.now() + MARGIN
        query = (
            select(ApiToken)
            .where(col(ApiToken.key).in_(list(keys)))
            .where(col(ApiToken.expires_at) > soon)
        )
        async with self._sessions() as session:
            rows = (await session.exec(query)).all()
        return {keys[row.key]: row.token for row in rows if self.acceptable(row.token)}
