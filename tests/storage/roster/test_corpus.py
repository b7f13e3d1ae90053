"""The messy-roster corpus (issue 10): every case, in every format it applies to, gives its
outcome — imported with exactly what the case says is stored, or refused with its lines and
nothing written. A dry run reports what the import then does, and writes nothing."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Assignment, Person, PersonRole, StudentCategory
from storage.roster.importer import ImportReport, RosterError
from tests.fakes.messy_rosters import (
    CASES,
    Case,
    Format,
    Imported,
    Line,
    Refused,
    label,
    write_case,
)
from tests.fakes.roster_files import import_files, row_counts

PARAMS = [pytest.param(case, fmt, id=f"{case.id}-{fmt}") for case in CASES for fmt in case.formats]
_WHERE = re.compile(r"第(?P<rows>[\d、-]+)行 (?P<column>[^:]+): (?P<reason>.*)")


@dataclass(frozen=True)
class Stored:
    """The roster as the database holds it, by code."""

    people: dict[str, Person]
    roles: dict[str, frozenset[str]]
    categories: dict[str, frozenset[str]]
    team: dict[str, dict[str, str]]


async def stored(sessions: async_sessionmaker[AsyncSession]) -> Stored:
    async with sessions() as session:
        people = {p.code: p for p in (await session.exec(select(Person))).all()}
        codes = {p.id: code for code, p in people.items()}
        roles: dict[str, set[str]] = defaultdict(set)
        for person_id, role in await session.exec(select(PersonRole.person_id, PersonRole.role)):
            roles[codes[person_id]].add(role)
        categories: dict[str, set[str]] = defaultdict(set)
        pairs = await session.exec(
            select(StudentCategory.student_id, StudentCategory.category_code)
        )
        for student_id, category in pairs:
            categories[codes[student_id]].add(category)
        team: dict[str, dict[str, str]] = defaultdict(dict)
        seats = await session.exec(
            select(Assignment.student_id, Assignment.role, Assignment.mentor_id)
        )
        for student_id, seat, mentor_id in seats:
            team[codes[student_id]][seat] = codes[mentor_id]
    return Stored(
        people,
        {code: frozenset(found) for code, found in roles.items()},
        {code: frozenset(found) for code, found in categories.items()},
        dict(team),
    )


def check_stored(expected: Imported, roster: Stored) -> None:
    """The people the case names hold exactly what it says; the absent codes are nowhere."""
    for code, fields in expected.people.items():
        assert code in roster.people, f"{code} was not stored"
        person = roster.people[code]
        assert {name: getattr(person, name) for name in fields} == fields, code
    for code in expected.absent:
        assert code not in roster.people, f"{code!r} was stored"
    for code, categories in expected.categories.items():
        assert roster.categories.get(code, frozenset()) == categories, code
    for code, seats in expected.team.items():
        assert roster.team.get(code, {}) == seats, code
    for code, roles in expected.roles.items():
        assert roster.roles.get(code, frozenset()) == roles, code


def check_report(expected: Imported, report: ImportReport) -> None:
    """Counts for the kinds the case names; no other kind has anyone new or changed."""
    assert {kind: report.kinds.get(kind) for kind in expected.counts} == expected.counts
    others = [counts for kind, counts in report.kinds.items() if kind not in expected.counts]
    assert not any(counts.created or counts.updated for counts in others), report.kinds
    for word in expected.notes:
        assert any(word in note for note in report.notes), (word, report.notes)
    if expected.changes is not None:
        assert report.changes == expected.changes
    if expected.role_changes is not None:
        assert frozenset(report.roles) == expected.role_changes


def check_lines(expected: Refused, lines: list[str], *, fmt: Format, several: bool) -> None:
    """Exactly the expected lines, in order: sheet label (when several sheets were read), rows
    and column, the reason's words, and the count of a grouped line."""
    assert len(lines) == len(expected.lines), lines
    for want, got in zip(expected.lines, lines, strict=True):
        check_line(want, got, fmt=fmt, several=several)


def check_line(want: Line, got: str, *, fmt: Format, several: bool) -> None:
    prefix = f"{label(want.sheet, fmt)} " if several else ""
    assert got.startswith(f"{prefix}第{want.rows}行 {want.column}: "), (want, got)
    match = _WHERE.fullmatch(got.removeprefix(prefix))
    assert match is not None, got
    reason = match["reason"]
    for word in want.keywords:
        assert word in reason, (word, got)
    for word in want.without:
        assert word not in reason, (word, got)
    grouped = re.search(r"（共 (\d+) 行）$", reason)
    assert (int(grouped[1]) if grouped else 1) == want.total, got


def several_sheets(case: Case, fmt: Format) -> bool:
    return case.build(fmt).sheets_read > 1


@pytest.mark.parametrize(("case", "fmt"), PARAMS)
async def test_messy_roster_gives_its_outcome(
    case: Case,
    fmt: Format,
    tmp_path: Path,
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
) -> None:
    before, files = write_case(case, fmt, tmp_path)
    if before:
        await import_files(sessions, *before)
    counts = await row_counts(engine)

    if isinstance(case.expected, Refused):
        await _refused(case, fmt, files, sessions)
        assert await row_counts(engine) == counts
        return
    dry = await import_files(sessions, *files, dry_run=True)
    assert await row_counts(engine) == counts
    report = await import_files(sessions, *files)

    assert (dry.kinds, dry.changes, dry.roles, dry.notes) == (
        report.kinds,
        report.changes,
        report.roles,
        report.notes,
    )
    check_report(case.expected, report)
    check_stored(case.expected, await stored(sessions))


async def _refused(
    case: Case, fmt: Format, files: list[Path], sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A dry run and the import are refused alike."""
    assert isinstance(case.expected, Refused)
    errors = []
    for dry_run in (True, False):
        with pytest.raises(RosterError) as caught:
            await import_files(sessions, *files, dry_run=dry_run)
        errors.append((caught.value.errors, [source.name for source in caught.value.empty]))
    assert errors[0] == errors[1]
    lines, empty = errors[1]
    check_lines(case.expected, lines, fmt=fmt, several=several_sheets(case, fmt))
    assert [Path(name).stem for name in empty] == list(case.expected.empty)
