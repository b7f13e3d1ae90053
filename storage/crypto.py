"""Field encryption at rest: Fernet (AES-128-CBC + HMAC) bound to an engine's dialect.

The cipher hangs off the SQLAlchemy dialect of the engine that owns it, so the key is configured
per engine at run time and nothing global is created at import time. During a key rotation
(storage/rotation.py) the previous key is bound too: values under either key decrypt, new
writes use the current key (MultiFernet).
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
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


def bind_cipher(dialect: Dialect, key: str, *, previous: str | None = None) -> None:
    """Bind the data key, and while rotating the previous one, to `dialect`."""
    current = validate_key(key)
    older = [validate_key(previous)] if previous else []
    setattr(dialect, _CIPHER_ATTR, (current, MultiFernet([current, *older])))


def _ciphers(dialect: Dialect) -> tuple[Fernet, MultiFernet]:
    ciphers = getattr(dialect, _CIPHER_ATTR, None)
    if ciphers is None:
        raise RuntimeError("no data key bound to this engine; use storage.db.make_engine")
    return ciphers  # type: ignore[no-any-return]


def _cipher(dialect: Dialect) -> MultiFernet:
    return _ciphers(dialect)[1]


def encrypt(dialect: Dialect, value: str) -> str:
    """`value` as a token under the data key bound to `dialect` (what EncryptedText stores)."""
    return _cipher(dialect).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(dialect: Dialect, token: str) -> str:
    try:
        return _cipher(dialect).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise DecryptionError("stored value does not decrypt with CAREBOT_DATA_KEY") from exc


def rotate(dialect: Dialect, token: str) -> str | None:
    """`token` re-encrypted under the current key; None when it is under that key already
    (DecryptionError when no bound key reads it). The value itself is never returned."""
    current, either = _ciphers(dialect)
    raw = token.encode("ascii")
    try:
        current.decrypt(raw)
        return None
    except InvalidToken:
        pass
    try:
        return either.rotate(raw).decode("ascii")
    except InvalidToken as exc:
        raise DecryptionError("stored value decrypts with neither data key") from exc


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
