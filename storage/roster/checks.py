"""Checks across rows and against the database: repeats, kinds, team references, accounts."""

from __future__ import annotations

from collections.abc import Iterator

from storage.models import PersonKind, Role, TeamRole
from storage.people.accounts import account_key
from storage.roster.examples import EXAMPLE_ROW, example_people
from storage.roster.fields import ACCOUNT_COLUMN, KEY_COLUMN, TEAM_COLUMN
from storage.roster.rows import Record
from storage.roster.sheet import Issue
from storage.roster.state import Snapshot
from storage.roster.wording import CHECK, PLACE, Wording

KIND_NAMES = {PersonKind.STUDENT: "学生", PersonKind.STAFF: "教职工"}
DUPLICATE_CODE = Wording(CHECK, "duplicate_code")
KIND_CONFLICT = Wording(CHECK, "kind_conflict")
NO_STAFF = Wording(CHECK, "no_staff")
NO_STUDENT = Wording(CHECK, "no_student")
NOT_STAFF = Wording(CHECK, "not_staff")
NOT_STUDENT = Wording(CHECK, "not_student")
NOT_ACADEMIC_MENTOR = Wording(CHECK, "not_academic_mentor")
NOT_STUDENT_AFFAIRS = Wording(CHECK, "not_student_affairs")
SELF_PEER = Wording(CHECK, "self_peer")
DUPLICATE_ACCOUNT = Wording(CHECK, "duplicate_account")
ACCOUNT_TAKEN = Wording(CHECK, "account_taken")
LEADING_ZEROS = Wording(CHECK, "leading_zeros")
NO_STAFF_ZEROS = Wording(CHECK, "no_staff_zeros")
NO_STUDENT_ZEROS = Wording(CHECK, "no_student_zeros")
IN_DATABASE = Wording(PLACE, "in_database")

_SEAT_ROLES = {
    TeamRole.ACADEMIC_MENTOR: (frozenset({Role.ACADEMIC_MENTOR}), NOT_ACADEMIC_MENTOR),
    TeamRole.STUDENT_AFFAIRS: (
        frozenset({Role.COUNSELLOR, Role.CLASS_TEACHER}),
        NOT_STUDENT_AFFAIRS,
    ),
}


def check_records(
    records: list[Record], snapshot: Snapshot
) -> tuple[dict[str, Record], list[Issue]]:
    """Records by code (first occurrence wins) and every cross-row problem."""
    unique, issues = _unique(records)
    issues.extend(_examples(unique))
    issues.extend(_zero_twins(unique, snapshot))
    issues.extend(_kind_conflicts(unique, snapshot))
    issues.extend(_references(unique, snapshot))
    issues.extend(_accounts(unique, snapshot))
    return unique, issues


def _unique(records: list[Record]) -> tuple[dict[str, Record], list[Issue]]:
    unique: dict[str, Record] = {}
    issues: list[Issue] = []
    for record in records:
        first = unique.setdefault(record.code, record)
        if first is not record:
            where = first.sheet.where(first.row)
            reason = DUPLICATE_CODE.format(code=record.code, where=where)
            issues.append(record.issue(KEY_COLUMN[record.kind], reason))
    return unique, issues


def _examples(unique: dict[str, Record]) -> Iterator[Issue]:
    examples = example_people()
    for code, record in unique.items():
        name = record.fields.get("name")
        if name is not None and examples.get((record.kind, code)) == name:
            yield record.issue(KEY_COLUMN[record.kind], EXAMPLE_ROW.format(code=code, name=name))


def unpadded(code: str) -> str:
    """A numeric code without its leading zeros: 00123 and 123 are one code to Excel."""
    return (code.lstrip("0") or "0") if code.isdigit() else code


def _zero_twins(unique: dict[str, Record], snapshot: Snapshot) -> Iterator[Issue]:
    """A code that differs from another only by leading zeros is the same person written twice
    (a numeric cell lost its zeros), never a new one."""
    stored: dict[str, str] = {}
    for code in snapshot.people:
        if code.isdigit():
            stored.setdefault(unpadded(code), code)
    seen: dict[str, Record] = {}
    for code, record in unique.items():
        if not code.isdigit():
            continue
        key = unpadded(code)
        first = seen.setdefault(key, record)
        if first is not record:
            where, other = first.sheet.where(first.row), first.code
        elif (known := stored.get(key)) is not None and known != code and known not in unique:
            where, other = str(IN_DATABASE), known
        else:
            continue
        reason = LEADING_ZEROS.format(code=code, where=where, other=other)
        yield record.issue(KEY_COLUMN[record.kind], reason)


def _kind_conflicts(unique: dict[str, Record], snapshot: Snapshot) -> Iterator[Issue]:
    for code, record in unique.items():
        known = snapshot.people.get(code)
        if known is not None and known.kind != record.kind:
            stored, given = KIND_NAMES[PersonKind(known.kind)], KIND_NAMES[record.kind]
            reason = KIND_CONFLICT.format(code=code, stored=stored, given=given)
            yield record.issue(KEY_COLUMN[record.kind], reason)


def _references(unique: dict[str, Record], snapshot: Snapshot) -> Iterator[Issue]:
    """Mentors may be in the files or already in the database; the files win for their rows."""
    for record in unique.values():
        for seat, code in record.team.items():
            if code is None:
                continue
            reason = _seat_problem(seat, code, record, unique, snapshot)
            if reason in (NO_STAFF, NO_STUDENT) and (twin := _twin(code, unique, snapshot)):
                zeros = NO_STAFF_ZEROS if reason == NO_STAFF else NO_STUDENT_ZEROS
                yield record.issue(TEAM_COLUMN[seat], zeros.format(code=code, other=twin))
            elif reason is not None:
                yield record.issue(TEAM_COLUMN[seat], reason.format(code=code))


def _seat_problem(
    seat: str, code: str, record: Record, unique: dict[str, Record], snapshot: Snapshot
) -> Wording | None:
    kind, roles = _final(code, unique, snapshot)
    if seat == TeamRole.PEER_MENTOR:
        if code == record.code:
            return SELF_PEER
        if kind is None:
            return NO_STUDENT
        return NOT_STUDENT if kind == PersonKind.STAFF else None
    if kind is None:
        return NO_STAFF
    if kind == PersonKind.STUDENT:
        return NOT_STAFF
    needed, problem = _SEAT_ROLES[TeamRole(seat)]
    return None if roles & needed else problem


def _twin(code: str, unique: dict[str, Record], snapshot: Snapshot) -> str | None:
    """The code, in the files or the database, that this one equals but for leading zeros."""
    if not code.isdigit():
        return None
    key = unpadded(code)
    codes = (c for c in [*unique, *snapshot.people] if c.isdigit() and unpadded(c) == key)
    return next(codes, None)


def _final(
    code: str, unique: dict[str, Record], snapshot: Snapshot
) -> tuple[str | None, frozenset[str]]:
    """A person's kind and roster roles as they will be once this import is applied."""
    record = unique.get(code)
    if record is not None:
        return record.kind, record.roles or frozenset()
    known = snapshot.people.get(code)
    if known is None:
        return None, frozenset()
    return known.kind, frozenset(snapshot.roles.get(known.id, ()))


def _accounts(unique: dict[str, Record], snapshot: Snapshot) -> Iterator[Issue]:
    """An account belongs to one person: once in the files, and not to someone who keeps it."""
    seen: dict[tuple[str, str], Record] = {}
    for record in unique.values():
        for channel, account in record.accounts.items():
            if account is None:
                continue
            key = (channel, account_key(account))
            first = seen.setdefault(key, record)
            if first is not record:
                where = first.sheet.where(first.row)
                reason = DUPLICATE_ACCOUNT.format(account=account, where=where)
                yield record.issue(ACCOUNT_COLUMN[channel], reason)
            elif (owner := _keeper(key, record, unique, snapshot)) is not None:
                reason = ACCOUNT_TAKEN.format(account=account, code=owner)
                yield record.issue(ACCOUNT_COLUMN[channel], reason)


def _keeper(
    key: tuple[str, str], record: Record, unique: dict[str, Record], snapshot: Snapshot
) -> str | None:
    """The code of another person who holds the account now and will still hold it after."""
    owner_id = snapshot.accounts.get(key)
    if owner_id is None:
        return None
    owner = snapshot.codes[owner_id]
    if owner == record.code:
        return None
    rewritten = unique.get(owner)
    return None if rewritten is not None and key[0] in rewritten.accounts else owner
