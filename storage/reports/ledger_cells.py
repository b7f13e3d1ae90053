"""What each ledger cell says, from a student's rows: 帮扶措施, 帮扶人, 帮扶效果, 备注, and the
sheets themselves (seed 001 附件1's seven, and seed 000's six groups on one sheet)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from messages.render import render
from storage.care.kinds import effects
from storage.cases.files import PHYSICAL
from storage.exports.ledger_xlsx import Ledger, LedgerRow, LedgerSheet
from storage.exports.watermark import Watermark
from storage.models import TeamRole

ACADEMIC = "academic_difficulty"  # its column also comes from the grades
PLAN_AREAS = ("plan", "academic", "psych", "financial", "employment")
SEATS = (TeamRole.ACADEMIC_MENTOR, TeamRole.STUDENT_AFFAIRS, TeamRole.PEER_MENTOR)
GROUPS_WIDTH = 14  # the 类别 column holds a few short names
STAFF_SEATS = frozenset({TeamRole.ACADEMIC_MENTOR, TeamRole.STUDENT_AFFAIRS})


@dataclass(slots=True)
class Student:
    """A student in the ledger with everything their rows show (filled query by query)."""

    id: int
    code: str
    name: str
    gender: str
    class_name: str
    dorm: str
    phone: str
    guardian: str
    key_attention: bool
    plans: list[tuple[str, str]]
    closed_at: datetime | None
    general_problem: str
    """The case file's own 问题类型及问题描述: the category column until the 摸排 has filled
    the category's own words."""
    categories: list[str] = field(default_factory=list)
    problems: dict[str, tuple[str, str]] = field(default_factory=dict)
    """category → (description, 班主任核实情况)."""
    counts: list[tuple[str, int]] = field(default_factory=list)
    effects: list[tuple[datetime, str]] = field(default_factory=list)
    aid: dict[str, int] = field(default_factory=dict)
    team: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    academic: str = ""


def student_of(row: Any) -> Student:
    """From a row of ledger_rows._students (person columns, then the case file's)."""
    guardian = " ".join(part for part in (row.guardian_name, row.guardian_phone) if part)
    plan_values = (row.plan, row.plan_academic, row.plan_psych, row.plan_financial)
    plans = zip(PLAN_AREAS, (*plan_values, row.plan_employment), strict=True)
    return Student(
        id=row.id,
        code=row.code,
        name=row.name,
        gender=row.gender or "",
        class_name=row.class_name or "",
        dorm=row.dorm or "",
        phone=row.phone or "",
        guardian=guardian,
        key_attention=bool(row.key_attention),
        plans=[(area, text) for area, text in plans if text],
        closed_at=row.closed_at if row.status == "closed" else None,
        general_problem=render(
            "export_problem", kind=row.problem_type, description=row.problem_description
        ).strip(),
    )


@cache  # a semester has few days, and thousands of cells name them
def day_text(day: date, *, full: bool = False) -> str:
    return render("export_date", day=day, full=full).strip()


@cache
def seat_label(seat: str) -> str:
    return render(f"seat_{seat}").strip()


def trend_of(assessed: list[str]) -> str | None:
    """better / same / worse: the latest assessment against the semester's first."""
    scale = effects()  # best first
    known = [scale.index(word) for word in assessed if word in scale]
    if len(known) < 2:
        return None
    return "better" if known[-1] < known[0] else "worse" if known[-1] > known[0] else "same"


@dataclass(frozen=True, slots=True)
class SharedCells:
    """The cells a student's rows share on every sheet they appear on."""

    measures: str
    helpers: str
    effect: str
    remark: str


def shared_cells(student: Student, *, tz: ZoneInfo) -> SharedCells:
    approved = student.aid.get("approved", 0)
    declined = student.aid.get("declined", 0)
    measures = render(
        "ledger_measures",
        plans=student.plans,
        counts=student.counts,
        approved=approved,
        declined=declined,
    )
    return SharedCells(
        measures=measures.strip(),
        helpers=_helpers(student),
        effect=_effect(student, tz=tz),
        remark=_remark(student, tz=tz),
    )


def _helpers(student: Student) -> str:
    team = []
    for seat in SEATS:
        if seat in student.team:
            name, phone = student.team[seat]
            # a peer mentor is a student: their own number stays off the ledger
            team.append((seat_label(seat), name, phone if seat in STAFF_SEATS else None))
    return render("ledger_helpers", team=team).strip()


def _effect(student: Student, *, tz: ZoneInfo) -> str:
    if not student.effects:
        return ""
    at, latest = student.effects[-1]
    return render(
        "ledger_effect",
        latest=latest,
        on=day_text(at.astimezone(tz).date()),
        count=len(student.effects),
        trend=trend_of([effect for _, effect in student.effects]),
    ).strip()


def _remark(student: Student, *, tz: ZoneInfo) -> str:
    closed = student.closed_at
    closed_on = day_text(closed.astimezone(tz).date(), full=True) if closed else None
    return render("ledger_remark", closed_on=closed_on, key_attention=student.key_attention).strip()


@dataclass(frozen=True, slots=True)
class LedgerHead:
    """What the whole workbook says besides the rows."""

    year: int
    today: date
    watermark: Watermark
    tz: ZoneInfo


def ledger_of(
    students: list[Student], categories: list[tuple[str, str, str, str | None]], head: LedgerHead
) -> Ledger:
    """The workbook's content: the ledger sheets in the data file's order, then the groups."""
    shared = {student.id: shared_cells(student, tz=head.tz) for student in students}
    sheets = [
        _category_sheet(code, name, column or "", students, shared)
        for code, name, scheme, column in categories
        if scheme == "ledger"
    ]
    groups = [(code, name) for code, name, scheme, _ in categories if scheme == "group"]
    sheets.append(_groups_sheet(groups, students, shared))
    footer = tuple(render("ledger_footer", part=part).strip() for part in ("note", "filler", "x"))
    return Ledger(
        title=render("ledger_title", year=head.year).strip(),
        date_line=render("ledger_date_line", day=head.today).strip(),
        footer=(footer[0], footer[1], footer[2]),
        sheets=tuple(sheets),
        watermark=head.watermark,
    )


def _category_sheet(
    code: str, name: str, column: str, students: list[Student], shared: dict[int, SharedCells]
) -> LedgerSheet:
    rows = []
    for student in students:
        if code not in student.categories:
            continue
        fallback = "" if student.problems else student.general_problem
        description, verification = student.problems.get(code, (fallback, ""))
        if code == ACADEMIC:
            description = "\n".join(part for part in (description, student.academic) if part)
        rows.append(_row(student, shared[student.id], problem=description, verified=verification))
    heading = render("ledger_heading", code=code, name=name, names=[]).strip()
    return LedgerSheet(name, heading, column, code == PHYSICAL, tuple(rows))


def _groups_sheet(
    groups: list[tuple[str, str]], students: list[Student], shared: dict[int, SharedCells]
) -> LedgerSheet:
    rows = []
    for student in students:
        names = [name for code, name in groups if code in student.categories]
        if names:
            rows.append(_row(student, shared[student.id], problem="、".join(names), verified=""))
    names = [name for _, name in groups]
    heading = render("ledger_heading", code="groups", name="", names=names).strip()
    tab = render("ledger_groups_words", what="tab").strip()
    column = render("ledger_groups_words", what="column").strip()
    return LedgerSheet(tab, heading, column, False, tuple(rows), column_width=GROUPS_WIDTH)


def _row(student: Student, cells: SharedCells, *, problem: str, verified: str) -> LedgerRow:
    return LedgerRow(
        name=student.name,
        gender=student.gender,
        class_name=student.class_name,
        dorm=student.dorm,
        phone=student.phone,
        guardian=student.guardian,
        problem=problem,
        verification=verified,
        measures=cells.measures,
        helpers=cells.helpers,
        effect=cells.effect,
        remark=cells.remark,
    )
