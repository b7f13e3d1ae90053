"""DingTalk robot-message bodies (HTTP callback or Stream data) and signed callback headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from typing import Any

from tests.fakes.dingtalk import FakeDingTalkServer

FIXED_FIELDS = {
    "conversationId": "cidFakeConversation==",
    "senderNick": "用户",
    "senderCorpId": "dingfakecorp",
    "chatbotCorpId": "dingfakecorp",
    "chatbotUserId": "$:LWCP_v1:$fakeBot==",
    "isAdmin": False,
    "isInAtList": True,
}


def robot_message(
    fake: FakeDingTalkServer,
    user: str | None,
    text: str | None = "帮助",
    *,
    msg_id: str | None = None,
    session_minutes: float | None = 90,
    conversation_type: str = "1",
    sender_id: str = "$:LWCP_v1:$fakeSenderId==",
) -> dict[str, Any]:
    """A robot message body as DingTalk sends it (HTTP callback or Stream data)."""
    body: dict[str, Any] = {
        **FIXED_FIELDS,
        "msgId": msg_id or f"msg{uuid.uuid4().hex}",
        "createAt": int(fake.clock.now().timestamp() * 1000),
        "conversationType": conversation_type,
        "senderId": sender_id,
        "robotCode": fake.robot_code,
    }
    if user is not None:
        body["senderStaffId"] = user
    if text is not None:
        body["msgtype"], body["text"] = "text", {"content": f" {text}"}
    if session_minutes is not None:
        owner = user or sender_id
        url, expires_ms = fake.open_session(owner, minutes=session_minutes)
        body["sessionWebhook"], body["sessionWebhookExpiredTime"] = url, expires_ms
    return body


def sign(timestamp_ms: int, secret: str) -> str:
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def signed_headers(timestamp_ms: int, secret: str) -> dict[str, str]:
    """The headers DingTalk puts on a robot-message callback."""
    return {
        "timestamp": str(timestamp_ms),
        "sign": sign(timestamp_ms, secret),
        "content-type": "application/json; charset=utf-8",
    }
