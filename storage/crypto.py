"""Field encryption at rest: Fernet (AES-128-CBC + HMAC) bound to an engine's dialect.

The cipher hangs off the SQLAlchemy dialect of the engine that owns it, so the key is configured
per engine at run time and nothing global is created at import time.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator

_CIPHER_ATTR = "carebot_cipher"


class InvalidKeyError(ValueError):
    """The data key is not a urlsafe-base64 32-byte Fernet key."""


class DecryptionError(RuntimeError):
    """A stored value cannot be decrypted with the configured key."""


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def validate_key(key: str) -> Fernet:
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise InvalidKeyError(
            "must be a urlsafe-base64 32-byte key (generate one with `carebot keys new`)"
        ) from exc


def bind_cipher(dialect: Dialect, key: str) -> None:
    setattr(dialect, _CIPHER_ATTR, validate_key(key))


def _cipher(dialect: Dialect) -> Fernet:
    cipher = getattr(dialect, _CIPHER_ATTR, None)
    if cipher is None:
        raise RuntimeError("no data key bound to this engine; use storage.db.make_engine")
    return cipher  # type: ignore[no-any-return]


def encrypt(dialect: Dialect, value: str) -> str:
    """`value` as a token under the data key bound to `dialect` (what EncryptedText stores)."""
    return _cipher(dialect).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(dialect: Dialect, token: str) -> str:
    try:
        return _cipher(dialect).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise DecryptionError("stored value does not decrypt with CAREBOT_DATA_KEY") from exc


class EncryptedText(TypeDecorator[str]):
    """A text column stored as a Fernet token; plaintext never reaches the database."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return encrypt(dialect, str(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return decrypt(dialect, str(value))
