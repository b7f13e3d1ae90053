"""DingTalk's active-send side: robot batchSend, or a session webhook for senders without one.

Per recipient: a staff id through oToMessages/batchSend, 20 user ids per call, always (see
`dingtalk_sessions` for why a callback's webhook never carries what staff are sent); a
`$sender:` account, which has no staff id, through its conversation's sessionWebhook while
it lives. Once anything of a call has reached someone, a later failure is reported per
recipient (retry) instead of raised, so the outbox never resends what was already delivered.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import ConfigurationError, Delivery, TransientError
from bot.channels.dingtalk.api import MAX_USERS, DingTalkApi, RecipientError
from bot.channels.dingtalk.inbound import SENDER_PREFIX
from bot.channels.dingtalk.messages import RobotMessage, robot_messages, webhook_body
from bot.channels.dingtalk.sessions import SessionWebhooks
from bot.channels.dingtalk.traits import DINGTALK
from bot.clock import Clock
from handlers.envelopes import Outbound
from storage.db import session_scope
from storage.messaging.health import report_problem
from storage.models import Channel

log = logging.getLogger(__name__)

FLOW_CONTROL_DELAY = 60.0  # DingTalk publishes no window for flowControlledStaffIdList
CONFIG_DELAY = 600.0


@dataclass(slots=True)
class _Run:
    """The per-recipient results of one send call, as they come in."""

    recipients: Sequence[str]
    results: dict[str, Delivery] = field(default_factory=dict)
    started: bool = False

    def pending(self) -> list[str]:
        return [r for r in self.recipients if r not in self.results]

    def record(self, delivery: Delivery) -> None:
        self.results[delivery.recipient] = delivery
        self.started = self.started or delivery.status == "sent"

    def deliveries(self) -> list[Delivery]:
        return [self.results[r] for r in self.recipients]


class HealthReport:
    """Report configuration problems to /healthz; clear them after the next success."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions, self._clock = sessions, clock
        self._clean = False  # unknown at start: a problem may be left from an earlier run

    async def problem(self, problem: str | None) -> None:
        if problem is None and self._clean:
            return
        async with session_scope(self._sessions) as session:
            await report_problem(
                session, channel=Channel.DINGTALK, problem=problem, at=self._clock.now()
            )
        self._clean = problem is None


class DingTalkSender:
    channel = DINGTALK.name
    batch_size = DINGTALK.batch_size
    per_member_per_minute: int | None = DINGTALK.per_member_per_minute

    def __init__(
        self,
        *,
        api: DingTalkApi,
        webhooks: SessionWebhooks,
        health: HealthReport,
        robot_code: str,
        button_secret: str,
    ) -> None:
        self._api, self._webhooks, self._health = api, webhooks, health
        self._robot, self._secret = robot_code, button_secret

    async def send(
        self, message: Outbound, recipients: Sequence[str], *, batch_key: str
    ) -> list[Delivery]:
        """`batch_key` is unused: DingTalk has no duplicate check to feed it to."""
        parts = robot_messages(message, secret=self._secret)
        run = _Run(list(dict.fromkeys(recipients)))
        try:
            for account, url in (await self._webhooks.lookup(run.recipients)).items():
                await self._via_session(run, account, url, parts)
            self._unreachable(run)
            pending = run.pending()
            for start in range(0, len(pending), MAX_USERS):
                await self._via_robot(run, pending[start : start + MAX_USERS], parts)
        except (TransientError, ConfigurationError) as exc:
            delay = CONFIG_DELAY if isinstance(exc, ConfigurationError) else None
            if isinstance(exc, ConfigurationError):
                await self._health.problem(str(exc))
            if not run.started:
                raise
            for account in run.pending():
                run.record(Delivery(account, "retry", error=str(exc), retry_after=delay))
        return run.deliveries()

    async def recall(self, msgid: str) -> None:
        """Take back a robot 1:1 message (`msgid` is its batchSend processQueryKey)."""
        await self._api.batch_recall(robot_code=self._robot, query_keys=[msgid])

    async def read_by(self, msgid: str) -> frozenset[str]:
        """Who has read a robot 1:1 message, by user id (receipts record 已读)."""
        return await self._api.read_by(robot_code=self._robot, query_key=msgid)

    async def _via_session(
        self, run: _Run, account: str, url: str, parts: list[RobotMessage]
    ) -> None:
        for index, part in enumerate(parts):
            try:
                accepted = await self._api.post_session(url, webhook_body(part))
            except TransientError as exc:
                run.record(Delivery(account, "retry", error=str(exc)))
                return
            if not accepted and index > 0:
                error = "sessionWebhook refused the rest of a long message"
                run.record(Delivery(account, "retry", error=error))
            if not accepted:
                return  # refused before anything was sent: the robot API takes over
            run.started = True
        run.record(Delivery(account, "sent"))

    def _unreachable(self, run: _Run) -> None:
        """Senders without a staff id can only be answered inside their conversation."""
        for account in run.pending():
            if account.startswith(SENDER_PREFIX):
                error = "no staff id and no open 1:1 session to answer in"
                run.record(Delivery(account, "failed", error=error))

    async def _via_robot(self, run: _Run, users: list[str], parts: list[RobotMessage]) -> None:
        query_key: str | None = None
        for part in parts:
            if not users:
                return
            try:
                result = await self._api.batch_send(
                    robot_code=self._robot,
                    user_ids=users,
                    msg_key=part.msg_key,
                    msg_param=part.msg_param,
                )
            except RecipientError as exc:
                await self._refused(run, users, parts, exc)
                return
            await self._health.problem(None)
            for user in result.invalid & set(users):
                run.record(Delivery(user, "failed", error="invalidStaffIdList"))
            for user in result.flow_controlled & set(users):
                error = "flowControlledStaffIdList"
                run.record(Delivery(user, "retry", error=error, retry_after=FLOW_CONTROL_DELAY))
            users = [u for u in users if u not in result.invalid | result.flow_controlled]
            query_key, run.started = result.query_key, run.started or bool(users)
        for user in users:
            run.record(Delivery(user, "sent", msgid=query_key))

    async def _refused(
        self, run: _Run, users: list[str], parts: list[RobotMessage], exc: RecipientError
    ) -> None:
        """The message or a recipient was refused outright: narrow down who, if we can."""
        if len(users) > 1 and "staffid" in str(exc).lower():
            for user in users:
                await self._via_robot(run, [user], parts)
            return
        log.warning("dingtalk refused a message: %s", exc)
        for user in users:
            run.record(Delivery(user, "failed", error=str(exc)))
