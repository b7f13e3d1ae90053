"""WeCom callback envelopes: verify, decrypt and parse them safely; seal passive replies."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from wechatpy.crypto.base import WeChatCipher
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.channels.base import MalformedError, SignatureError

MAX_BODY = 64 * 1024
"""A callback body larger than this is refused (WeCom's are a few hundred bytes)."""

_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CallbackQuery:
    """The signed query of a callback; `echostr` only on URL verification."""

    signature: str
    timestamp: str
    nonce: str
    echostr: str | None = None


def parse_xml(raw: bytes | str) -> dict[str, Any]:
    """The fields under <xml>, refusing DOCTYPE and ENTITY declarations (XXE, billion laughs).

    The body must be UTF-8 (as WeCom sends it) and is checked and parsed as decoded text: a
    declaration in UTF-16 does not show in the raw bytes, and a str makes the parser ignore
    the encoding the document claims. A field given twice at the top is ambiguous: refused."""
    text = _utf8(raw)
    if "\x00" in text or _DECLARATION.search(text):
        raise MalformedError("XML declarations and NUL characters are not accepted")
    try:
        root = ElementTree.fromstring(text)
    except (ElementTree.ParseError, ValueError, UnicodeError) as exc:
        raise MalformedError(f"not well-formed XML ({type(exc).__name__})") from exc
    if root.tag != "xml" or len(root) == 0:
        raise MalformedError("the root element must be <xml> with fields")
    if len({child.tag for child in root}) != len(root):
        raise MalformedError("a field is given twice")
    fields = _fields(root)
    assert isinstance(fields, dict)
    return fields


def _utf8(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedError("the body is not UTF-8") from None


def _fields(element: ElementTree.Element) -> dict[str, Any] | str | None:
    """Children as a dict (a repeated tag becomes a list), a leaf as its text or None.

    ElementTree rather than xmltodict: this runs twice per callback and costs a tenth."""
    if len(element) == 0:
        return element.text
    fields: dict[str, Any] = {}
    for child in element:
        value = _fields(child)
        if child.tag not in fields:
            fields[child.tag] = value
        elif isinstance(fields[child.tag], list):
            fields[child.tag].append(value)
        else:
            fields[child.tag] = [fields[child.tag], value]
    return fields


class _Plaintext:
    """wechatpy's PrpCrypto.decrypt (16 random bytes, length, message, corp id), except that
    bytes that are not UTF-8 (a lone surrogate a client let through) become U+FFFD: a message
    that verifies is never refused for one odd character. It might be a crisis message."""

    def __init__(self, key: bytes) -> None:
        self._cipher = WeChatCipher(key)

    def decrypt(self, text: str, corp_id: str) -> str:
        plain: bytes = self._cipher.decrypt(base64.b64decode(text))
        content = plain[16 : -plain[-1]]
        size = int.from_bytes(content[:4], "big")
        if content[4 + size :].decode("utf-8", "replace") != corp_id:
            raise ValueError("the message is for another CorpID")
        return content[4 : 4 + size].decode("utf-8", "replace")


class Envelope:
    """The app's token, EncodingAESKey and CorpID, applied with wechatpy's enterprise crypto."""

    def __init__(self, *, token: str, aes_key: str, corp_id: str) -> None:
        self._crypto = WeChatCrypto(token, aes_key, corp_id)
        self.corp_id = corp_id

    def echo(self, query: CallbackQuery) -> str:
        """URL verification: the decrypted echostr, after the signature checks out."""
        return self._decrypt(query, query.echostr or "")

    def open(self, body: bytes, query: CallbackQuery) -> dict[str, Any]:
        """The decrypted message fields of a POST body."""
        encrypt = parse_xml(body).get("Encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise MalformedError("no Encrypt field")
        return parse_xml(self._decrypt(query, encrypt))

    def _decrypt(self, query: CallbackQuery, encrypt: str) -> str:
        try:  # wechatpy's signature check and AES, our lenient plaintext
            plain = self._crypto._check_signature(
                query.signature, query.timestamp, query.nonce, encrypt, _Plaintext
            )
        except Exception as exc:  # IndexError, ValueError... on a wrong key
            raise SignatureError(f"callback does not verify ({type(exc).__name__})") from exc
        if not isinstance(plain, str):
            raise SignatureError("callback does not verify (no plaintext)")
        return plain

    def seal(self, xml: str, query: CallbackQuery) -> str:
        """Encrypt and sign a passive reply, reusing the request's timestamp and nonce."""
        sealed: str = self._crypto.encrypt_message(xml, query.nonce, query.timestamp)
        return sealed

    def text_reply(self, *, to: str, content: str, at: datetime) -> str:
        """The plaintext XML of a passive text reply."""
        return _reply_xml(
            to=to, corp_id=self.corp_id, at=at, kind="text", inner=_tag("Content", content)
        )

    def button_update(self, *, to: str, label: str, at: datetime) -> str:
        """The plaintext XML that replaces the pressed card's buttons with one label."""
        inner = f"<Button>{_tag('ReplaceName', label)}</Button>"
        return _reply_xml(to=to, corp_id=self.corp_id, at=at, kind="update_button", inner=inner)


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _tag(name: str, value: str) -> str:
    return f"<{name}>{_cdata(value)}</{name}>"


def _reply_xml(*, to: str, corp_id: str, at: datetime, kind: str, inner: str) -> str:
    return (
        f"<xml>{_tag('ToUserName', to)}{_tag('FromUserName', corp_id)}"
        f"<CreateTime>{int(at.timestamp())}</CreateTime>{_tag('MsgType', kind)}{inner}</xml>"
    )
