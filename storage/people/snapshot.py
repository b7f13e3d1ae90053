"""A person as the hot paths read them: the roster fields without the encrypted contact
columns, from a Core row (no ORM identity map, no decryption), detached.

Identify runs this for every sender and the visit form for every student of a mentor on each
step; nothing there needs a phone number, and each encrypted column costs a decryption per
row. A snapshot is for reading: it is never added to a session."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement

from storage.models import Person

SECRET_COLUMNS = ("phone", "guardian_name", "guardian_phone")
FIELDS = tuple(name for name in Person.model_fields if name not in SECRET_COLUMNS)


def columns() -> list[ColumnElement[Any]]:
    """The snapshot's columns, in FIELDS order, to put first in a select."""
    table = Person.__table__.c  # type: ignore[attr-defined]
    return [table[name] for name in FIELDS]


def person_of(row: Sequence[Any]) -> Person:
    """The person from a row whose first columns are `columns()`."""
    return Person.model_construct(**{name: row[i] for i, name in enumerate(FIELDS)})
