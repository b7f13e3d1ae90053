"""Real encrypted WeCom callbacks for tests, built with wechatpy as WeCom builds them, and the
settings and running app that receive them."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import count
from typing import Any

import httpx
import xmltodict
from fastapi import FastAPI
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.app import create_app
from bot.settings import Settings
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.wecom import FakeWeComServer

CORP_ID = "wwcarebot0000001"
AGENT_ID = 1000002
SECRET = "carebot-app-secret"
TOKEN = "carebotToken2026"
AES_KEY = base64.b64encode(hashlib.sha256(b"carebot test key").digest()).decode()[:43]
OTHER_AES_KEY = base64.b64encode(hashlib.sha256(b"somebody else").digest()).decode()[:43]


@dataclass(frozen=True)
class Callback:
    params: dict[str, str]
    body: bytes


def wecom_settings(database_url: str, data_key: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "data_key": data_key,
        "simulator": False,
        "wecom_corp_id": CORP_ID,
        "wecom_agent_id": AGENT_ID,
        "wecom_secret": SECRET,
        "wecom_token": TOKEN,
        "wecom_aes_key": AES_KEY,
        "wecom_api_base": "http://qyapi.fake",
        **overrides,
    }
    return Settings(**values)


def wecom_environment(database_url: str, api_base: str, **extra: str) -> dict[str, str]:
    """The environment of a `carebot` subprocess on WeCom: this test app's credentials, the
    given database and API, `extra` as further CAREBOT_* variables (lower-case names)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREBOT_")}
    values = {
        "database_url": database_url,
        "data_key": DATA_KEY,
        "wecom_corp_id": CORP_ID,
        "wecom_agent_id": str(AGENT_ID),
        "wecom_secret": SECRET,
        "wecom_token": TOKEN,
        "wecom_aes_key": AES_KEY,
        "wecom_api_base": api_base,
        "log_level": "WARNING",
        **extra,
    }
    return env | {f"CAREBOT_{name.upper()}": value for name, value in values.items()}


def fake_server(
    clock: FakeClock | Callable[[], datetime], *users: str, **options: Any
) -> FakeWeComServer:
    """The fake WeCom API for this corp; `clock` a FakeClock, or the wall clock's `now` for
    tests with real processes; `options` as FakeWeComServer takes them (send_delay, faults)."""
    return FakeWeComServer(
        corp_id=CORP_ID, secret=SECRET, agent_id=AGENT_ID, clock=clock, users=users, **options
    )


@asynccontextmanager
async def running_app(
    settings: Settings, clock: FakeClock, fake: FakeWeComServer
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The web app with its lifespan open (no background outbox loop) and a client for it."""
    app = create_app(settings, clock=clock, transport=fake.transport(), run_outbox=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("101.226.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://carebot.test") as client:
            yield app, client


class CallbackBuilder:
    """What WeCom POSTs to /wecom/callback, encrypted with the app's token and AES key."""

    def __init__(
        self,
        clock: FakeClock,
        *,
        token: str = TOKEN,
        aes_key: str = AES_KEY,
        corp_id: str = CORP_ID,
    ) -> None:
        self.clock = clock
        self.crypto = WeChatCrypto(token, aes_key, corp_id)
        self.corp_id = corp_id
        self._serial = count(7_000_000_000_000_000_001)

    def verification(self, echostr_plain: str = "1616140317555161061") -> dict[str, str]:
        """The GET query of URL verification; its echostr decrypts to `echostr_plain`."""
        timestamp, nonce = self._stamp(), "1372623149"
        envelope = self._envelope(echostr_plain, timestamp, nonce)
        return {
            "msg_signature": envelope["MsgSignature"],
            "timestamp": timestamp,
            "nonce": nonce,
            "echostr": envelope["Encrypt"],
        }

    def text(self, user: str, content: str, *, msg_id: int | None = None) -> Callback:
        fields = {"MsgType": "text", "Content": content, "MsgId": str(msg_id or self.msg_id())}
        return self.message(user, fields)

    def card_click(
        self, user: str, key: str, *, task_id: str, response_code: str, create_time: int = 0
    ) -> Callback:
        fields = {
            "MsgType": "event",
            "Event": "template_card_event",
            "EventKey": key,
            "TaskId": task_id,
            "CardType": "button_interaction",
            "ResponseCode": response_code,
        }
        return self.message(user, fields, create_time=create_time)

    def message(self, user: str, fields: dict[str, str], *, create_time: int = 0) -> Callback:
        """Any message or event: the common fields plus `fields`, sealed as WeCom does."""
        plain = {
            "ToUserName": self.corp_id,
            "FromUserName": user,
            "CreateTime": str(create_time or int(self.clock.now().timestamp())),
            "AgentID": str(AGENT_ID),
            **fields,
        }
        return self.seal(xmltodict.unparse({"xml": plain}, full_document=False))

    def seal(self, plain_xml: str | bytes, *, nonce: str = "1320562132") -> Callback:
        """Bytes are sealed as they are (not necessarily UTF-8), as in WeCom's AES payload."""
        timestamp = self._stamp()
        envelope = self._envelope(plain_xml, timestamp, nonce)
        body = xmltodict.unparse(
            {
                "xml": {
                    "ToUserName": self.corp_id,
                    "AgentID": str(AGENT_ID),
                    **envelope_only(envelope),
                }
            },
            full_document=False,
        )
        params = {"msg_signature": envelope["MsgSignature"], "timestamp": timestamp, "nonce": nonce}
        return Callback(params, body.encode("utf-8"))

    def open_reply(self, body: str | bytes) -> dict[str, Any]:
        """Verify and decrypt a passive reply; its plaintext fields."""
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        envelope = xmltodict.parse(text)["xml"]
        plain = self.crypto.decrypt_message(
            text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
        )
        fields = xmltodict.parse(plain)["xml"]
        assert isinstance(fields, dict)
        return fields

    def msg_id(self) -> int:
        return next(self._serial)

    def _stamp(self) -> str:
        return str(int(self.clock.now().timestamp()))

    def _envelope(self, plain: str | bytes, timestamp: str, nonce: str) -> dict[str, str]:
        sealed = self.crypto.encrypt_message(plain, nonce, timestamp)
        fields = xmltodict.parse(sealed)["xml"]
        return {key: str(value) for key, value in fields.items()}


def envelope_only(envelope: dict[str, str]) -> dict[str, str]:
    """The POST body carries only Encrypt; the signature travels in the query."""
    return {"Encrypt": envelope["Encrypt"]}
