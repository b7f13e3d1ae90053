"""Column helpers shared by the tables: UTC datetimes and encrypted text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column

from storage.columns import UTCDateTime
from storage.crypto import EncryptedText


def utc_column(nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


def secret_column() -> Column[str]:
    return Column(EncryptedText(), nullable=True)
