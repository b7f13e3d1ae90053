"""The DingTalk channel: the robot's HTTP callback, the shared receive path, the sender.

`POST /dingtalk/callback` verifies the `timestamp`/`sign` headers (403, nothing written),
takes at most 64 KiB of JSON (413/400), and answers `{}` once the message is dispatched; the
replies are outbox rows delivered by `DingTalkSender`. Stream mode (`dingtalk_stream`) feeds
the same `receive`.

The sign covers the timestamp only, so a captured pair would carry any body for the whole
skew window: each (timestamp, sign) is accepted once, recorded in the shared inbound dedupe
table (channel `dingtalk-sign`) so that every replica refuses it again (403, nothing else
written). Two genuine callbacks in the same millisecond share a sign, and the second is
refused as well: the price of a scheme that signs nothing else (Stream mode has no sign).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import MalformedError, SignatureError
from bot.channels.dingtalk.api import DingTalkApi
from bot.channels.dingtalk.inbound import RobotInbound, parse_body, parse_message, verify_signature
from bot.channels.dingtalk.sender import DingTalkSender, HealthReport
from bot.channels.dingtalk.sessions import SessionWebhooks
from bot.channels.http import PlatformHttp
from bot.clock import Clock
from bot.inbound.dispatch import Dispatcher
from bot.settings import Settings
from storage.db import session_scope
from storage.messaging.inbound import first_delivery

log = logging.getLogger(__name__)

BODY_LIMIT = 64 * 1024
SIGN_CHANNEL = "dingtalk-sign"


class BodyTooLarge(Exception):
    """The callback body exceeds BODY_LIMIT: answer 413."""


@dataclass(frozen=True, slots=True)
class DingTalkConfig:
    """The settings this channel needs, checked once."""

    app_key: str
    app_secret: str
    robot_code: str
    api_base: str
    max_clock_skew: int

    @classmethod
    def from_settings(cls, settings: Settings) -> DingTalkConfig:
        key, secret = settings.dingtalk_app_key, settings.dingtalk_app_secret
        if not key or secret is None or not secret.get_secret_value():
            raise ValueError("set CAREBOT_DINGTALK_APP_KEY and CAREBOT_DINGTALK_APP_SECRET")
        return cls(
            app_key=key,
            app_secret=secret.get_secret_value(),
            robot_code=settings.robot_code or key,
            api_base=settings.dingtalk_api_base,
            max_clock_skew=settings.dingtalk_max_clock_skew,
        )

    def webhooks(
        self, *, sessions: async_sessionmaker[AsyncSession], clock: Clock
    ) -> SessionWebhooks:
        return SessionWebhooks(
            sessions=sessions, clock=clock, robot_code=self.robot_code, api_base=self.api_base
        )


async def receive(body: dict[str, Any], *, dispatcher: Dispatcher, config: DingTalkConfig) -> bool:
    """Dispatch one robot message body (HTTP or Stream); False when there was nothing to do."""
    message = parse_message(body, now=dispatcher.clock.now(), button_secret=config.app_secret)
    return await answer(message, dispatcher=dispatcher, config=config)


async def answer(
    message: RobotInbound | None, *, dispatcher: Dispatcher, config: DingTalkConfig
) -> bool:
    """Dispatch a parsed message, keeping its session webhook if it may be used."""
    if message is None:
        return False
    if message.session_webhook and message.session_expires:
        webhooks = config.webhooks(sessions=dispatcher.sessions, clock=dispatcher.clock)
        account = message.inbound.account
        await webhooks.remember(account, message.session_webhook, message.session_expires)
    await dispatcher.dispatch(message.inbound)
    return True


async def first_use(
    sessions: async_sessionmaker[AsyncSession], *, timestamp: str, sign: str, at: datetime
) -> bool:
    """Record a verified header pair; False when it was used before (a replay)."""
    async with session_scope(sessions) as session:
        key = f"{timestamp}:{sign}"
        return await first_delivery(session, channel=SIGN_CHANNEL, dedupe_key=key, at=at)


async def read_body(request: Request, limit: int = BODY_LIMIT) -> bytes:
    """The request body, refusing to read more than `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


async def _accept(request: Request, config: DingTalkConfig) -> RobotInbound | None:
    """The verified, well-formed, first-seen message of a callback (None: nothing to do)."""
    dispatcher: Dispatcher = request.app.state.dispatcher
    now = dispatcher.clock.now()
    timestamp, sign = request.headers.get("timestamp", ""), request.headers.get("sign", "")
    verify_signature(
        timestamp=timestamp,
        sign=sign,
        secret=config.app_secret,
        now=now,
        max_skew=config.max_clock_skew,
    )
    body = parse_body(await read_body(request))
    message = parse_message(body, now=now, button_secret=config.app_secret)
    if not await first_use(dispatcher.sessions, timestamp=timestamp, sign=sign, at=now):
        raise SignatureError("sign already used")
    return message


def install(app: FastAPI, settings: Settings) -> None:
    """Add `POST /dingtalk/callback`."""
    config = DingTalkConfig.from_settings(settings)

    async def callback(request: Request) -> JSONResponse:
        try:
            message = await _accept(request, config)
        except SignatureError as exc:
            log.warning("dingtalk callback refused: %s", exc)
            return JSONResponse({"error": "forbidden"}, status_code=403)
        except BodyTooLarge:
            return JSONResponse({"error": "body too large"}, status_code=413)
        except MalformedError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        await answer(message, dispatcher=request.app.state.dispatcher, config=config)
        return JSONResponse({})

    app.add_api_route("/dingtalk/callback", callback, methods=["POST"], include_in_schema=False)


def build_sender(
    settings: Settings,
    *,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    http: PlatformHttp,
) -> DingTalkSender:
    """The active-send side of this channel."""
    config = DingTalkConfig.from_settings(settings)
    return DingTalkSender(
        api=build_api(
            config, sessions=sessions, clock=clock, http=http, timeout=settings.http_timeout
        ),
        webhooks=config.webhooks(sessions=sessions, clock=clock),
        health=HealthReport(sessions=sessions, clock=clock),
        robot_code=config.robot_code,
        button_secret=config.app_secret,
    )


def build_api(
    config: DingTalkConfig,
    *,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    http: PlatformHttp,
    timeout: float,
) -> DingTalkApi:
    return DingTalkApi(
        http=http,
        base=config.api_base,
        app_key=config.app_key,
        app_secret=config.app_secret,
        sessions=sessions,
        clock=clock,
        timeout=timeout,
    )
