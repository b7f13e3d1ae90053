"""Roster import: validate every row of the files first, then upsert people in bulk, or nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.models import PersonKind
from storage.roster.changes import PersonChange, RoleChange, person_changes, role_changes
from storage.roster.checks import check_records
from storage.roster.header import check_header
from storage.roster.rows import Record, build_records
from storage.roster.sheet import ROW, ROWS_TOTAL, Issue, Progress, Sheet, Source, Ticker, row_ranges
from storage.roster.source import read_sources
from storage.roster.state import Snapshot, load_current, load_snapshot
from storage.roster.template import write_template
from storage.roster.wording import FILE, Wording
from storage.roster.write import Plan, apply_plan, plan_changes

__all__ = [
    "Approval",
    "ImportReport",
    "KindCounts",
    "NotApproved",
    "PersonChange",
    "RoleChange",
    "RosterError",
    "Source",
    "import_roster",
    "write_template",
]

NOTHING_TO_IMPORT = Wording(FILE, "nothing_to_import")
_PHASES = 3  # read, check, write: progress counts every row once per phase


class RosterError(Exception):
    """The files cannot be imported; `errors` lists every problem, worded for the admin, and
    `empty` the readable files from which no student or staff row was read at all."""

    def __init__(
        self, errors: list[str], *, empty: Sequence[Source] = (), notes: Sequence[str] = ()
    ) -> None:
        super().__init__(f"{len(errors) + len(empty)} problem(s) in the roster")
        self.errors = errors
        self.empty = tuple(empty)
        self.notes = tuple(notes)
        """Warnings about what was read (hidden sheets skipped, merged cells filled…)."""


@dataclass(frozen=True)
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    absent: int = 0
    """People of this kind in the database but not in the files: kept as they are."""


Approval = Callable[["ImportReport"], bool]
"""Asked before anything is written, with the report of what would happen; False stops."""


class NotApproved(Exception):
    """The caller's approval refused the import (e.g. admin roles without --confirm-roles)."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("roster import not approved")
        self.report = report


@dataclass(frozen=True)
class ImportReport:
    dry_run: bool
    kinds: dict[PersonKind, KindCounts]
    sources: tuple[Source, ...] = ()
    """Each file's sheets: which were read, which passed over."""
    changes: tuple[PersonChange, ...] = ()
    """Per known person, every field the import changes (sensitive values masked)."""
    roles: tuple[RoleChange, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return any(counts.created or counts.updated for counts in self.kinds.values())


async def import_roster(
    session: AsyncSession,
    sources: list[Path],
    *,
    now: datetime,
    dry_run: bool,
    progress: Progress | None = None,
    approve: Approval | None = None,
) -> ImportReport:
    """Import the files in the caller's transaction; raises RosterError (or NotApproved) and
    writes nothing."""
    ticker = Ticker(progress)
    sheets, issues, files = await asyncio.to_thread(read_sources, sources, ticker)
    notes = [*(note for file in files for note in file.notes)]
    notes.extend(note for sheet in sheets for note in sheet.notes)
    ticker.expect(_PHASES * sum(len(sheet.rows) for sheet in sheets))
    snapshot = await load_snapshot(session)
    records = _records(sheets, snapshot, ticker, issues, today=now.date())
    unique, problems = check_records(records, snapshot)
    issues.extend(problems)
    empty = [file for file in files if not file.rows]  # a misnamed sheet, a header alone
    if not issues and not sheets and not empty:
        issues.append(Issue(0, 0, 0, 0, str(NOTHING_TO_IMPORT)))
    if issues or empty:
        raise RosterError(grouped(issues), empty=empty, notes=notes)
    known = (snapshot.people.get(code) for code in unique)
    await load_current(session, snapshot, (person.id for person in known if person))
    plan = plan_changes(unique.values(), snapshot)
    report = _report(plan, snapshot, sheets, dry_run=dry_run, sources=files, notes=notes)
    if approve is not None and not approve(report):
        raise NotApproved(report)
    if not dry_run:
        await apply_plan(session, plan, now=now, ticker=ticker)
        await audit.record(session, action="roster_import", at=now, detail=_detail(report))
    ticker.finish()
    return report


async def write_records(session: AsyncSession, records: list[Record], *, now: datetime) -> None:
    """Records built in code (the demo university) through the import's own checks and writer,
    so the roster's rules (roles, teams, accounts, clock dates) hold for them as for a file;
    `now` dates what they create. Raises RosterError and writes nothing."""
    snapshot = await load_snapshot(session)
    unique, issues = check_records(records, snapshot)
    if issues:
        raise RosterError(grouped(issues))
    known = (snapshot.people.get(code) for code in unique)
    await load_current(session, snapshot, (person.id for person in known if person))
    plan = plan_changes(unique.values(), snapshot)
    await apply_plan(session, plan, now=now, ticker=Ticker(None))


def _records(
    sheets: list[Sheet], snapshot: Snapshot, ticker: Ticker, issues: list[Issue], *, today: date
) -> list[Record]:
    records: list[Record] = []
    for sheet in sheets:
        issues.extend(check_header(sheet))
        found, problems = build_records(sheet, snapshot.categories, ticker, today=today)
        records.extend(found)
        issues.extend(problems)
    return records


def grouped(issues: list[Issue]) -> list[str]:
    """Issue lines in file, sheet, row, column order; the same problem in the same column on
    several rows (a dropdown filled down a column) becomes one line with its rows."""
    groups: dict[tuple[int, int, int, str], list[Issue]] = {}
    for issue in sorted(issues):
        where = ROW.format(row=issue.row)
        key = (issue.source, issue.sheet, issue.column, issue.text.replace(where, "\0", 1))
        groups.setdefault(key, []).append(issue)
    lines: list[tuple[Issue, str]] = []
    for (*_, pattern), members in groups.items():
        if len(members) == 1 or members[0].row == 0:
            lines.extend((member, member.text) for member in members)
            continue
        rows = row_ranges([member.row for member in members])
        text = pattern.replace("\0", ROW.format(row=rows), 1) + ROWS_TOTAL.format(
            count=len(members)
        )
        lines.append((members[0], text))
    return [text for _, text in sorted(lines, key=lambda pair: pair[0])]


def _report(
    plan: Plan,
    snapshot: Snapshot,
    sheets: list[Sheet],
    *,
    dry_run: bool,
    sources: list[Source],
    notes: list[str],
) -> ImportReport:
    kinds = list(dict.fromkeys(sheet.kind for sheet in sheets))
    codes = {record.code for record in plan.created + plan.unchanged}
    codes.update(record.code for _, record in plan.updated)
    counts = {
        kind: KindCounts(
            created=sum(record.kind == kind for record in plan.created),
            updated=sum(record.kind == kind for _, record in plan.updated),
            unchanged=sum(record.kind == kind for record in plan.unchanged),
            absent=sum(
                known.kind == kind and code not in codes for code, known in snapshot.people.items()
            ),
        )
        for kind in kinds
    }
    return ImportReport(
        dry_run=dry_run,
        kinds=counts,
        sources=tuple(sources),
        changes=tuple(person_changes(plan.updated, snapshot)),
        roles=tuple(role_changes(plan.created, plan.updated, snapshot)),
        notes=tuple(notes),
    )


def _detail(report: ImportReport) -> str:
    """Counts only: the audit log never holds personal data."""
    counts = {
        kind.value: {
            "created": c.created,
            "updated": c.updated,
            "unchanged": c.unchanged,
            "absent": c.absent,
        }
        for kind, c in report.kinds.items()
    }
    # staff whose roles the import gave or took: who may see what changed with it
    return json.dumps(counts | {"role_changes": len(report.roles)}, sort_keys=True)
