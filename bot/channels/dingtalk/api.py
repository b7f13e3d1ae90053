"""DingTalk's OpenAPI over the platforms' HTTP client: access token, robot 1:1 batch send,
session webhooks, gateway.

Errors follow the channel tree: busy, throttled, 5xx, timeouts → TransientError; a refusal
an operator must fix (bad robotCode, missing permission, wrong secret) → ConfigurationError.
Error texts carry the HTTP status and DingTalk's code only, never a message body, because
DingTalk's messages may quote user ids.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import ConfigurationError, PlatformError, TransientError
from bot.channels.http import Answer, ConnectFailed, NoAnswer, PlatformHttp
from bot.channels.tokens import TokenCache
from bot.clock import Clock

log = logging.getLogger(__name__)

TOKEN_PATH = "/v1.0/oauth2/accessToken"
BATCH_SEND_PATH = "/v1.0/robot/oToMessages/batchSend"
GATEWAY_PATH = "/v1.0/gateway/connections/open"
READ_STATUS_PATH = "/v1.0/robot/oToMessages/readStatus"
RECALL_PATH = "/v1.0/robot/otoMessages/batchRecall"
BOT_TOPIC = "/v1.0/im/bot/messages/get"
MAX_USERS = 20
TOKEN_ERRORS = {"InvalidAuthentication", "InvalidAccessToken", "invalidAccessToken"}
THROTTLE_MARKS = ("qpslimit", "throttl", "flowcontrol", "servicebusy", "systembusy")


class TokenRejected(PlatformError):
    """The access token was refused (expired or revoked elsewhere): fetch another, once."""


class RecipientError(PlatformError):
    """The call failed because of the recipients or the message, not the channel."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    query_key: str | None
    invalid: frozenset[str] = field(default_factory=frozenset)
    flow_controlled: frozenset[str] = field(default_factory=frozenset)


def classify(path: str, status: int, body: Mapping[str, Any]) -> PlatformError:
    """The error for a non-2xx answer of the new API (`{"code": ..., "message": ...}`)."""
    code = str(body.get("code") or f"http{status}")
    text = f"{path}: HTTP {status} {code}"
    lowered = code.lower()
    if code in TOKEN_ERRORS or status == 401:
        return TokenRejected(status, text)
    if status == 429 or status >= 500 or any(mark in lowered for mark in THROTTLE_MARKS):
        return TransientError(status, text)
    if lowered.startswith(("invalidparameter.msgparam", "invalidparameter.msgkey")):
        return RecipientError(status, text)
    if lowered.startswith("staffid.notexisted"):
        return RecipientError(status, text)
    return ConfigurationError(status, text)


class DingTalkApi:
    """One app's OpenAPI client; the token is cached in the database for every process."""

    def __init__(
        self,
        *,
        http: PlatformHttp,
        base: str,
        app_key: str,
        app_secret: str,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        timeout: float,
    ) -> None:
        self._http, self._base = http, base.rstrip("/")
        self._app_key, self._app_secret, self._timeout = app_key, app_secret, timeout
        self.tokens = TokenCache(
            sessions=sessions, clock=clock, key=f"dingtalk:{app_key}", fetch=self.fetch_token
        )

    async def fetch_token(self) -> tuple[str, int]:
        body = {"appKey": self._app_key, "appSecret": self._app_secret}
        data = await self._post(TOKEN_PATH, body)
        token, lifetime = data.get("accessToken"), data.get("expireIn")
        if not isinstance(token, str) or not isinstance(lifetime, int):
            raise TransientError(200, f"{TOKEN_PATH}: answer without accessToken")
        return token, lifetime

    async def batch_send(
        self, *, robot_code: str, user_ids: Sequence[str], msg_key: str, msg_param: str
    ) -> BatchResult:
        """POST oToMessages/batchSend (≤ 20 user ids), retrying once with a fresh token."""
        if not 0 < len(user_ids) <= MAX_USERS:
            raise ValueError(f"batchSend takes 1..{MAX_USERS} user ids")
        body = {
            "robotCode": robot_code,
            "userIds": list(user_ids),
            "msgKey": msg_key,
            "msgParam": msg_param,
        }
        data = await self._authorised_post(BATCH_SEND_PATH, body)
        return BatchResult(
            query_key=_str_or_none(data.get("processQueryKey")),
            invalid=frozenset(_str_list(data.get("invalidStaffIdList"))),
            flow_controlled=frozenset(_str_list(data.get("flowControlledStaffIdList"))),
        )

    async def batch_recall(self, *, robot_code: str, query_keys: Sequence[str]) -> None:
        """POST otoMessages/batchRecall: take back robot 1:1 messages by processQueryKey."""
        body = {"robotCode": robot_code, "processQueryKeys": list(query_keys)}
        await self._authorised_post(RECALL_PATH, body)

    async def read_by(self, *, robot_code: str, query_key: str) -> frozenset[str]:
        """GET oToMessages/readStatus: the user ids who have read a batchSend's message."""
        token = await self.tokens.get()
        params = {"robotCode": robot_code, "processQueryKey": query_key}
        headers = {"x-acs-dingtalk-access-token": token}
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._http.request(
                    "GET", self._base + READ_STATUS_PATH, params=params, headers=headers
                )
        except (NoAnswer, TimeoutError) as exc:
            raise TransientError(0, f"{READ_STATUS_PATH}: {_why(exc)}") from None
        data = _json_object(response)
        if not response.is_success:
            raise classify(READ_STATUS_PATH, response.status_code, data)
        read = data.get("messageReadInfoList")
        return frozenset(
            str(item["userId"])
            for item in (read if isinstance(read, list) else [])
            if isinstance(item, dict) and item.get("readStatus") == "READ" and item.get("userId")
        )

    async def post_session(self, url: str, body: Mapping[str, Any]) -> bool:
        """Reply through a conversation's sessionWebhook; False when DingTalk refuses it
        (expired session, unsupported message), so the caller falls back to batchSend.
        A refused connection means nothing was sent: also False."""
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._http.request("POST", url, json=dict(body))
        except ConnectFailed:
            return False
        except (NoAnswer, TimeoutError) as exc:
            raise TransientError(0, f"sessionWebhook: {_why(exc)}") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientError(
                response.status_code, f"sessionWebhook: HTTP {response.status_code}"
            )
        data = _json_object(response)  # an HTML block page is not a delivery
        return response.status_code == 200 and data.get("errcode") == 0

    async def open_connection(self, topics: Sequence[str]) -> tuple[str, str]:
        """Register a Stream connection: (websocket endpoint, single-use ticket)."""
        body = {
            "clientId": self._app_key,
            "clientSecret": self._app_secret,
            "subscriptions": [{"type": "CALLBACK", "topic": topic} for topic in topics],
            "ua": "carebot-python/1",
        }
        data = await self._post(GATEWAY_PATH, body)
        endpoint, ticket = data.get("endpoint"), data.get("ticket")
        if not isinstance(endpoint, str) or not isinstance(ticket, str):
            raise TransientError(200, f"{GATEWAY_PATH}: answer without endpoint")
        return endpoint, ticket

    async def _authorised_post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        token = await self.tokens.get()
        try:
            return await self._post(path, body, token=token)
        except TokenRejected:
            log.info("dingtalk token refused; fetching a new one")
            token = await self.tokens.invalidate(token)
        try:
            return await self._post(path, body, token=token)
        except TokenRejected as exc:  # a brand-new token refused: the app itself is wrong
            raise ConfigurationError(exc.code, str(exc)) from None

    async def _post(
        self, path: str, body: Mapping[str, Any], *, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"x-acs-dingtalk-access-token": token} if token else {}
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._http.request(
                    "POST", self._base + path, json=dict(body), headers=headers
                )
        except (NoAnswer, TimeoutError) as exc:
            raise TransientError(0, f"{path}: {_why(exc)}") from None
        data = _json_object(response)
        if response.is_success and data:
            return data
        if response.is_success:  # e.g. an HTML page from DingTalk's per-IP limiter
            raise TransientError(response.status_code, f"{path}: answer is not a JSON object")
        error = classify(path, response.status_code, data)
        if token is None and isinstance(error, TokenRejected | RecipientError):
            raise ConfigurationError(error.code, str(error))  # the app credentials are wrong
        raise error


def _why(exc: Exception) -> str:
    """What went wrong, for an error text: the client's own exception name, never a URL."""
    return str(exc) or type(exc).__name__


def _json_object(response: Answer) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _str_list(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
