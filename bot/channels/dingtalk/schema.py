"""The OpenAPI description of /dingtalk/callback, which reads its raw body itself."""

from __future__ import annotations

from typing import Any

_TEXT = {"type": "object", "properties": {"content": {"type": "string"}}}
_MESSAGE = {
    "type": "object",
    "description": "A robot message, as DingTalk posts it (fields the bot reads)",
    "required": ["msgId", "msgtype"],
    "properties": {
        "msgId": {"type": "string"},
        "msgtype": {"type": "string", "enum": ["text", "richText", "audio", "picture", "file"]},
        "text": _TEXT,
        "content": {
            "type": "object",
            "properties": {
                "richText": {"type": "array", "items": _TEXT},
                "recognition": {"type": "string"},
            },
        },
        "senderStaffId": {"type": "string"},
        "senderId": {"type": "string"},
        "conversationType": {"type": "string", "enum": ["1", "2"]},
        "sessionWebhook": {"type": "string"},
        "sessionWebhookExpiredTime": {"type": "integer", "description": "Unix milliseconds"},
        "createAt": {"type": "integer"},
        "errorCode": {"type": "string"},
    },
}


def _header(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


PATHS: dict[str, Any] = {
    "/dingtalk/callback": {
        "post": {
            "summary": "DingTalk robot message (HTTP callback mode)",
            "operationId": "dingtalk_receive",
            "parameters": [
                _header("timestamp", "Unix milliseconds; within the allowed clock skew"),
                _header("sign", "base64(HMAC-SHA256(appSecret, timestamp + LF + appSecret))"),
            ],
            "requestBody": {
                "required": True,
                "description": "At most 64 KiB of JSON",
                "content": {"application/json": {"schema": _MESSAGE}},
            },
            "responses": {
                "200": {
                    "description": "Dispatched (replies leave through the outbox)",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "400": {"description": "Not a JSON object, or a field that is no time"},
                "403": {"description": "Missing, wrong, stale or replayed sign; nothing stored"},
                "413": {"description": "Body too large"},
            },
        }
    }
}
