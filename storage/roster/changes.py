"""What an import changes for each known person, field by field, and who gains or loses a role.

Values are given as display text, already masked where the column is sensitive (categories,
family, health details never reach a terminal, a log or a pasted dry run in clear).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from storage.models import PersonKind
from storage.roster.fields import COLUMNS, STUDENT_ROLE_NAMES, STUDENT_ROLES, Column, Mask, Slot
from storage.roster.rows import Record
from storage.roster.state import Current, Snapshot


@dataclass(frozen=True)
class FieldChange:
    column: str
    old: str | None
    """None: empty before (or hidden, when `hidden`)."""
    new: str | None
    hidden: bool = False
    """A sensitive column: only that it changed is shown."""


@dataclass(frozen=True)
class PersonChange:
    kind: PersonKind
    code: str
    name: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class RoleChange:
    """Roster roles (Role values) a staff member gains or loses with this import."""

    code: str
    name: str
    gained: tuple[str, ...]
    lost: tuple[str, ...]
    new: bool


def person_changes(updated: Iterable[tuple[int, Record]], snapshot: Snapshot) -> list[PersonChange]:
    """Every field each updated row would change, in column order."""
    names = {code: name for name, code in snapshot.categories.items()}
    changes: list[PersonChange] = []
    for person_id, record in updated:
        current = snapshot.current[person_id]
        fields = tuple(
            change
            for column in COLUMNS[record.kind]
            if (change := _change(column, record, current, names)) is not None
        )
        if fields:
            name = str(record.fields.get("name") or current.fields.get("name") or "")
            changes.append(PersonChange(record.kind, record.code, name, fields))
    return changes


def role_changes(
    created: Iterable[Record], updated: Iterable[tuple[int, Record]], snapshot: Snapshot
) -> list[RoleChange]:
    """New staff with their roles, and known staff whose roles the files change."""
    changes: list[RoleChange] = []
    for record in created:
        if record.roles and record.kind == PersonKind.STAFF:
            name = str(record.fields.get("name") or "")
            changes.append(RoleChange(record.code, name, tuple(sorted(record.roles)), (), True))
    for person_id, record in updated:
        current = snapshot.current[person_id]
        if record.kind == PersonKind.STUDENT:
            continue  # a student's 学生干部 is listed with their other fields
        if record.roles is None or record.roles == current.roles:
            continue
        name = str(record.fields.get("name") or current.fields.get("name") or "")
        gained = tuple(sorted(record.roles - current.roles))
        lost = tuple(sorted(current.roles - record.roles))
        changes.append(RoleChange(record.code, name, gained, lost, False))
    return changes


def _change(
    column: Column, record: Record, current: Current, categories: Mapping[str, str]
) -> FieldChange | None:
    old: object
    new: object
    if column.slot is Slot.FIELD:
        if column.key not in record.fields:
            return None
        old, new = current.fields.get(column.key), record.fields[column.key]
    elif column.slot is Slot.CATEGORIES:
        if record.categories is None:
            return None
        old, new = (_names(codes, categories) for codes in (current.categories, record.categories))
    elif column.slot is Slot.TEAM:
        if column.key not in record.team:
            return None
        old, new = current.team.get(column.key), record.team[column.key]
    elif column.slot is Slot.ACCOUNT:
        if column.key not in record.accounts:
            return None
        old = "、".join(sorted(current.accounts.get(column.key, ()))) or None
        new = record.accounts[column.key]
    elif column.slot is Slot.ROLES:
        if column.key != STUDENT_ROLES or record.roles is None:
            return None  # staff roles are listed on their own: role changes
        old, new = (_role_names(roles) for roles in (current.roles, record.roles))
    else:
        return None  # the code itself never changes
    if _shown(old) == _shown(new):
        return None
    if column.mask is Mask.HIDDEN:
        return FieldChange(column.name, None, None, hidden=True)
    before, after = (masked(_shown(value), column.mask) for value in (old, new))
    return FieldChange(column.name, before, after)


def _role_names(roles: frozenset[str]) -> str | None:
    names = {role.value: name for name, role in STUDENT_ROLE_NAMES.items()}
    return "、".join(names[role] for role in sorted(roles) if role in names) or None


def _names(codes: frozenset[str], categories: Mapping[str, str]) -> str | None:
    return "、".join(sorted(categories.get(code, code) for code in codes)) or None


def _shown(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def masked(value: str | None, mask: Mask) -> str | None:
    """A value as an import listing shows it: phones keep their first 3 and last 4 digits,
    names their first character."""
    if value is None or mask is Mask.NONE:
        return value
    if mask is Mask.PHONE:
        return value[:3] + "*" * max(len(value) - 7, 1) + value[-4:] if len(value) > 7 else "****"
    if mask is Mask.NAME:
        return value[:1] + "*" * max(len(value) - 1, 1)
    return None
