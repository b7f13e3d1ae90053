"""The OpenAPI description of /wecom/callback: a plain Starlette route has none of its own."""

from __future__ import annotations

from typing import Any

from bot.channels.wecom.envelope import MAX_BODY


def _param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1},
    }


SIGNED_QUERY = [
    _param("msg_signature", "SHA1 of token, timestamp, nonce and the encrypted payload"),
    _param("timestamp", "Unix seconds; refused when too far from the server's clock"),
    _param("nonce", "Random string chosen by WeCom"),
]
_REFUSED = {
    "400": {"description": "Malformed: not the XML envelope WeCom sends; nothing stored"},
    "403": {"description": "Incomplete or stale query, or a signature that does not verify"},
}
_ENVELOPE = {
    "type": "object",
    "xml": {"name": "xml"},
    "required": ["Encrypt"],
    "properties": {
        "ToUserName": {"type": "string", "description": "The CorpID"},
        "AgentID": {"type": "string"},
        "Encrypt": {"type": "string", "description": "AES-CBC, base64: the message's XML"},
    },
}

PATHS: dict[str, Any] = {
    "/wecom/callback": {
        "get": {
            "summary": "WeCom URL verification",
            "operationId": "wecom_verify_url",
            "parameters": [
                *SIGNED_QUERY,
                _param("echostr", "Encrypted random string, answered decrypted"),
            ],
            "responses": {
                "200": {
                    "description": "The decrypted echostr, bare",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                "403": _REFUSED["403"],
            },
        },
        "post": {
            "summary": "WeCom message or event (encrypted XML envelope)",
            "operationId": "wecom_receive",
            "parameters": SIGNED_QUERY,
            "requestBody": {
                "required": True,
                "description": f"At most {MAX_BODY} bytes of UTF-8",
                "content": {"application/xml": {"schema": _ENVELOPE}},
            },
            "responses": {
                "200": {
                    "description": "Accepted: empty, or an encrypted passive reply",
                    "content": {"application/xml": {"schema": {"type": "string"}}},
                },
                **_REFUSED,
                "413": {"description": "Body too large; nothing stored"},
                "503": {"description": "Stored handling failed; WeCom delivers again"},
            },
        },
    }
}
