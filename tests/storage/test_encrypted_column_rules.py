"""What an encrypted column stores and refuses: a Fernet token or NULL at rest, the exact text
back, and a clear error for a missing, malformed or different key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import crypto
from storage.crypto import DecryptionError, EncryptedText, InvalidKeyError
from storage.models import Person
from tests.conftest import DATA_KEY
from tests.fakes.roster import make_student

WORDS = "家里困难，想申请补助 😢 \u202e ok"


async def _raw_person(engine: AsyncEngine, code: str) -> tuple[str | None, str | None]:
    async with engine.connect() as connection:
        query = text("SELECT phone, guardian_name FROM person WHERE code = :code")
        row = (await connection.execute(query, {"code": code})).one()
    return row[0], row[1]


async def test_a_value_is_stored_as_a_token_of_the_data_key_and_read_back_exactly(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    student = await make_student(session, code="2023000001", phone="13912345678")
    student.guardian_name = WORDS
    await session.commit()

    phone, guardian = await _raw_person(engine, "2023000001")
    assert phone is not None and guardian is not None
    assert Fernet(DATA_KEY.encode()).decrypt(guardian.encode()).decode() == WORDS
    assert Fernet(DATA_KEY.encode()).decrypt(phone.encode()) == b"13912345678"
    assert phone.isascii() and phone.startswith("gAAAAA")
    session.expunge_all()
    loaded = (await session.exec(select(Person).where(Person.code == "2023000001"))).one()
    assert loaded.guardian_name == WORDS and loaded.phone == "13912345678"


async def test_an_empty_field_stays_null_at_rest_and_reads_back_as_none(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    await make_student(session, code="2023000002", phone=None)
    await session.commit()

    assert await _raw_person(engine, "2023000002") == (None, None)
    session.expunge_all()
    loaded = (await session.exec(select(Person).where(Person.code == "2023000002"))).one()
    assert loaded.phone is None and loaded.guardian_name is None


def test_an_empty_string_is_encrypted_too_not_taken_for_null() -> None:
    dialect = sqlite.dialect()
    crypto.bind_cipher(dialect, DATA_KEY)
    column = EncryptedText()
    token = column.process_bind_param("", dialect)
    assert token and token.startswith("gAAAAA")
    assert column.process_result_value(token, dialect) == ""
    assert column.process_bind_param(None, dialect) is None
    assert column.process_result_value(None, dialect) is None


def test_an_engine_without_a_key_refuses_to_store_or_read() -> None:
    column, bare = EncryptedText(), sqlite.dialect()
    with pytest.raises(RuntimeError, match=r"^no data key bound to this engine; use"):
        column.process_bind_param("secret", bare)
    with pytest.raises(RuntimeError, match=r"storage\.db\.make_engine"):
        column.process_result_value("gAAAAA", bare)


def test_a_token_of_another_key_is_a_decryption_error_naming_the_setting() -> None:
    theirs, ours = sqlite.dialect(), sqlite.dialect()
    crypto.bind_cipher(theirs, crypto.new_key())
    crypto.bind_cipher(ours, DATA_KEY)
    token = EncryptedText().process_bind_param("x", theirs)
    message = r"^stored value does not decrypt with CAREBOT_DATA_KEY$"
    with pytest.raises(DecryptionError, match=message) as caught:
        EncryptedText().process_result_value(token, ours)
    assert "x" not in str(caught.value).replace("CAREBOT_DATA_KEY", "")


@pytest.mark.parametrize("bad", ["", "changeme", "密钥" * 22, "x" * 44, DATA_KEY[:-1]])
def test_a_malformed_key_is_refused_with_how_to_make_one(bad: str) -> None:
    with pytest.raises(InvalidKeyError) as caught:
        crypto.validate_key(bad)
    assert str(caught.value) == (
        "must be a urlsafe-base64 32-byte key (generate one with `carebot keys new`)"
    )


def test_new_keys_are_valid_and_different() -> None:
    first, second = crypto.new_key(), crypto.new_key()
    assert first != second and len(first) == 44
    assert isinstance(crypto.validate_key(first), Fernet)
