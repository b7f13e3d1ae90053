"""WeCom's message crypto as written in bot/channels/wecom/envelope.py, held to wechatpy (the
reference the platform's own samples agree with) in both directions: what wechatpy seals we
open, what we seal wechatpy opens, and both sign alike."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.channels.base import SignatureError
from bot.channels.wecom.envelope import CallbackQuery, Envelope, _Crypto
from tests.fakes.wecom_callbacks import AES_KEY, CORP_ID, TOKEN

REFERENCE = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
OURS = _Crypto(token=TOKEN, aes_key=AES_KEY, corp_id=CORP_ID)
# Text a person may send: any character a UTF-8 body can carry (no lone surrogates).
TEXTS = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
NONCES = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=16)


def _field(xml: str, name: str) -> str:
    found = re.search(rf"<{name}>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</{name}>", xml, re.S)
    assert found is not None, name
    return found.group(1)


@settings(max_examples=200, deadline=None)
@given(text=TEXTS, nonce=NONCES, timestamp=st.integers(0, 2**32).map(str))
def test_what_wechatpy_seals_opens_to_the_same_text(text: str, nonce: str, timestamp: str) -> None:
    sealed = REFERENCE.encrypt_message(text, nonce, timestamp)
    encrypt = _field(sealed, "Encrypt")
    assert OURS.verified(_field(sealed, "MsgSignature"), timestamp, nonce, encrypt)
    assert OURS.decrypt(encrypt) == text


@settings(max_examples=200, deadline=None)
@given(text=TEXTS, nonce=NONCES, timestamp=st.integers(0, 2**32).map(str))
def test_what_we_seal_wechatpy_opens_to_the_same_text(
    text: str, nonce: str, timestamp: str
) -> None:
    envelope = Envelope(token=TOKEN, aes_key=AES_KEY, corp_id=CORP_ID)
    sealed = envelope.seal(text, CallbackQuery("", timestamp, nonce))
    signature = _field(sealed, "MsgSignature")
    assert _field(sealed, "TimeStamp") == timestamp and _field(sealed, "Nonce") == nonce
    assert REFERENCE.decrypt_message(sealed, signature, timestamp, nonce) == text


@pytest.mark.parametrize("size", [0, 1, 11, 12, 13, 43, 44, 45, 1000])
def test_every_padding_length_round_trips(size: int) -> None:
    """16 + 4 + len(CorpID) + size crosses every remainder of the 32-byte block."""
    text = "x" * size
    assert OURS.decrypt(OURS.encrypt(text)) == text
    assert len(base64.b64decode(OURS.encrypt(text))) % 32 == 0


def test_two_seals_of_one_text_differ() -> None:
    """The 16-byte prefix is random: the same reply never leaves as the same ciphertext."""
    assert OURS.encrypt("好的") != OURS.encrypt("好的")


@pytest.mark.parametrize(
    "signature",
    ["", "0" * 40, "Ａ" * 40, "\ud800", "not hex at all"],
)
def test_a_signature_that_is_not_ours_is_refused_without_an_error(signature: str) -> None:
    encrypt = OURS.encrypt("帮助")
    assert not OURS.verified(signature, "1700000000", "n1", encrypt)
    envelope = Envelope(token=TOKEN, aes_key=AES_KEY, corp_id=CORP_ID)
    with pytest.raises(SignatureError, match=r"^callback does not verify \(signature\)$"):
        envelope.echo(CallbackQuery(signature, "1700000000", "n1", encrypt))


@pytest.mark.parametrize("field", ["timestamp", "nonce", "encrypt"])
def test_a_signed_field_that_is_not_text_fails_to_verify_without_an_error(field: str) -> None:
    values = {"timestamp": "1700000000", "nonce": "n1", "encrypt": OURS.encrypt("帮助")}
    signature = OURS.signature(**values)
    values[field] += "\ud800"
    assert not OURS.verified(signature, **values)


def test_a_signature_in_upper_case_is_not_ours() -> None:
    """wechatpy compares the hex digest as it is; so do we."""
    encrypt = OURS.encrypt("帮助")
    signature = OURS.signature("1700000000", "n1", encrypt)
    assert OURS.verified(signature, "1700000000", "n1", encrypt)
    assert not OURS.verified(signature.upper(), "1700000000", "n1", encrypt)


def test_a_key_that_is_not_32_bytes_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="EncodingAESKey"):
        _Crypto(token=TOKEN, aes_key=AES_KEY[:-4], corp_id=CORP_ID)
