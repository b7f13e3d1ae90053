"""The WeCom (企业微信) channel: callback routes and the active sender.

Pieces: `wecom_envelope` (crypto, safe XML, passive replies), `wecom_callback` (the answer
within WeCom's 5 s), `wecom_api` (async API client, token, errors), `wecom_sender` (Outbound →
message/send).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import ChannelError, MalformedError, SignatureError
from bot.channels.http import PlatformHttp
from bot.channels.wecom.api import WeComApi
from bot.channels.wecom.callback import (
    CARD_DONE,
    Timing,
    TooLarge,
    WeComCallback,
    empty,
    read_body,
    to_inbound,
)
from bot.channels.wecom.envelope import Envelope
from bot.channels.wecom.sender import WeComSender
from bot.clock import Clock
from bot.inbound.dispatch import Dispatcher
from bot.settings import Settings
from messages.render import render

log = logging.getLogger(__name__)

PATH = "/wecom/callback"
REFUSED = {SignatureError: 403, MalformedError: 400, TooLarge: 413}


def install(app: FastAPI, settings: Settings) -> None:
    """Add GET (URL verification) and POST (messages, card clicks) on /wecom/callback."""
    assert settings.wecom_token and settings.wecom_aes_key and settings.wecom_corp_id
    envelope = Envelope(
        token=settings.wecom_token.get_secret_value(),
        aes_key=settings.wecom_aes_key.get_secret_value(),
        corp_id=settings.wecom_corp_id,
    )
    app.state.wecom = WeComCallback(envelope=envelope, max_skew=settings.wecom_max_clock_skew)
    passive = settings.wecom_passive_seconds
    app.state.wecom.timing = Timing(passive=passive, claimed=passive + 0.8)
    # Both methods are described in the schema by bot.channels.wecom.schema.PATHS.
    app.add_api_route(
        PATH, verify_url, methods=["GET"], response_class=PlainTextResponse, include_in_schema=False
    )
    # A plain Starlette route: this path runs for every message, and FastAPI's dependency
    # solving and response validation add a tenth of its cost for nothing it uses.
    app.add_route(PATH, receive, methods=["POST"], include_in_schema=False)


def build_sender(
    settings: Settings,
    *,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    http: PlatformHttp,
) -> WeComSender:
    assert settings.wecom_corp_id and settings.wecom_secret and settings.wecom_agent_id
    api = WeComApi(
        http=http,
        base=settings.wecom_api_base,
        corp_id=settings.wecom_corp_id,
        agent_id=settings.wecom_agent_id,
        secret=settings.wecom_secret.get_secret_value(),
        sessions=sessions,
        clock=clock,
    )
    return WeComSender(api=api, agent_id=settings.wecom_agent_id)


def _parts(request: Request) -> tuple[WeComCallback, Dispatcher]:
    return request.app.state.wecom, request.app.state.dispatcher


async def verify_url(request: Request) -> Response:
    """WeCom checks the URL: answer the decrypted echostr as bare text (no quotes)."""
    callback, dispatcher = _parts(request)
    try:
        query = callback.query(request, now=dispatcher.clock.now(), echo=True)
        echo = callback.envelope.echo(query)
    except SignatureError as exc:
        log.warning("wecom URL verification refused: %s", exc)
        return Response(status_code=403)
    return PlainTextResponse(echo)


async def receive(request: Request) -> Response:
    """A message or event. Refusals (403/400/413) happen before anything is written."""
    callback, dispatcher = _parts(request)
    try:
        body = await read_body(request)
        query = callback.query(request, now=dispatcher.clock.now())
        fields = callback.envelope.open(body, query)
        inbound = to_inbound(fields, now=dispatcher.clock.now())
    except ChannelError as exc:
        status = next((code for kind, code in REFUSED.items() if isinstance(exc, kind)), 400)
        log.warning("wecom callback refused (%s): %s", status, exc)
        return Response(status_code=status)
    if inbound is None:
        return empty()
    try:
        if inbound.button is not None:
            later = _card_update(request, inbound.account, str(fields.get("ResponseCode") or ""))
            return await callback.answer_click(dispatcher, inbound, query, update_later=later)
        return await callback.answer_message(dispatcher, inbound, query)
    except Exception as exc:  # no traceback: database errors can quote message content
        log.error("wecom callback failed: %s", type(exc).__name__)
        return Response(status_code=503)


def _card_update(request: Request, user: str, response_code: str) -> Callable[[], Awaitable[None]]:
    """Replace the clicked card's buttons through the API (the callback's code works once)."""
    state = request.app.state

    async def update() -> None:
        runtime = getattr(state, "runtime", None)
        sender = runtime.senders.get("wecom") if runtime is not None else None
        if not isinstance(sender, WeComSender) or not response_code:
            return
        try:
            await sender.update_card(
                userids=[user], response_code=response_code, label=render(CARD_DONE)
            )
        except ChannelError as exc:
            log.warning("wecom card update failed: %s", type(exc).__name__)

    return update
