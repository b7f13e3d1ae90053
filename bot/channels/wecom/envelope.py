"""WeCom callback envelopes: verify, decrypt and parse them safely; seal passive replies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

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


class _Crypto:
    """WeCom's message encryption (加解密方案), byte for byte as wechatpy's WeChatCrypto does it:
    AES-256-CBC under the EncodingAESKey with its first 16 bytes as the IV, over 16 random
    bytes, the message's length (4 bytes, big-endian), the message and the CorpID, padded
    PKCS#7-style to 32 bytes; the signature is SHA-1 over the sorted token, timestamp, nonce
    and ciphertext.

    Written here rather than called from wechatpy, which per message builds a new cipher, pads
    in Python and draws its random prefix with `random`: that was about a tenth of a callback's
    CPU. tests/bot/channels/wecom/test_envelope.py holds it to wechatpy both ways. Unlike
    wechatpy, the signature is compared in constant time, the random prefix comes from
    os.urandom, and plaintext bytes that are not UTF-8 (a lone surrogate a client let through)
    become U+FFFD: a message that verifies is never refused for one odd character. It might be
    a crisis message."""

    BLOCK = 32

    def __init__(self, *, token: str, aes_key: str, corp_id: str) -> None:
        key = base64.b64decode(aes_key + "=")
        if len(key) != 32:
            raise ValueError("the EncodingAESKey must be 43 characters of base64 (32 bytes)")
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))
        self._token, self._corp_id = token, corp_id
        self._corp = corp_id.encode("utf-8")

    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        # surrogatepass: a query or field that is not text (a lone surrogate) fails to verify,
        # it does not raise
        pieces = (self._token, timestamp, nonce, encrypt)
        parts = sorted(part.encode("utf-8", "surrogatepass") for part in pieces)
        return hashlib.sha1(b"".join(parts)).hexdigest()

    def verified(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> bool:
        expected = self.signature(timestamp, nonce, encrypt).encode("ascii")
        return hmac.compare_digest(expected, signature.encode("utf-8", "surrogatepass"))

    def decrypt(self, encrypt: str) -> str:
        decryptor = self._cipher.decryptor()
        plain = decryptor.update(base64.b64decode(encrypt)) + decryptor.finalize()
        content = plain[16 : -plain[-1]]
        size = int.from_bytes(content[:4], "big")
        if content[4 + size :].decode("utf-8", "replace") != self._corp_id:
            raise ValueError("the message is for another CorpID")
        return content[4 : 4 + size].decode("utf-8", "replace")

    def encrypt(self, text: str) -> str:
        body = text.encode("utf-8")
        plain = b"".join((os.urandom(16), len(body).to_bytes(4, "big"), body, self._corp))
        pad = self.BLOCK - len(plain) % self.BLOCK
        encryptor = self._cipher.encryptor()
        sealed = encryptor.update(plain + bytes((pad,)) * pad) + encryptor.finalize()
        return base64.b64encode(sealed).decode("ascii")


class Envelope:
    """The app's token, EncodingAESKey and CorpID, applied with WeCom's message crypto."""

    def __init__(self, *, token: str, aes_key: str, corp_id: str) -> None:
        self._crypto = _Crypto(token=token, aes_key=aes_key, corp_id=corp_id)
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
        if not self._crypto.verified(query.signature, query.timestamp, query.nonce, encrypt):
            raise SignatureError("callback does not verify (signature)")
        try:
            return self._crypto.decrypt(encrypt)
        except Exception as exc:  # IndexError, ValueError... on a wrong key
            raise SignatureError(f"callback does not verify ({type(exc).__name__})") from exc

    def seal(self, xml: str, query: CallbackQuery) -> str:
        """Encrypt and sign a passive reply, reusing the request's timestamp and nonce."""
        encrypt = self._crypto.encrypt(xml)
        signature = self._crypto.signature(query.timestamp, query.nonce, encrypt)
        return (
            f"<xml>\n<Encrypt><![CDATA[{encrypt}]]></Encrypt>\n"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>\n"
            f"<TimeStamp>{query.timestamp}</TimeStamp>\n"
            f"<Nonce><![CDATA[{query.nonce}]]></Nonce>\n</xml>"
        )

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
