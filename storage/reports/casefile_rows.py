"""One student's case file (档案表) worded for the document: read-only, runs on the reader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from messages.render import render
from storage.care.visits import team_of
from storage.cases.closures import pending_for
from storage.cases.files import PHYSICAL, CaseRecord, record_of
from storage.exports.casefile_docx import CaseFileDoc, CounselRecord, casefile_docx
from storage.exports.watermark import Watermark
from storage.models import CaseClosure, Person, TeamRole, VisitLog
from storage.reports.ledger_cells import day_text

PLAN_AREAS = ("plan", "plan_academic", "plan_psych", "plan_financial", "plan_employment")


@dataclass(frozen=True, slots=True)
class CaseFileHead:
    now: datetime
    tz: ZoneInfo
    watermark: Watermark


async def casefile_document(
    session: AsyncSession, student_id: int, head: CaseFileHead
) -> bytes | None:
    """The 档案表 of the student as docx bytes (a student without a file gets the empty form);
    None when there is no such student."""
    student = await session.get(Person, student_id)
    if student is None or student.id is None:
        return None
    record = await record_of(session, student.id)
    teacher = await _teacher(session, student.id, record)
    closure = await pending_for(session, student.id)
    doc = CaseFileDoc(
        title=render("export_casefile_title").strip(),
        teacher_line=_teacher_line(teacher, record, head),
        student=(student.name, student.gender or "", student.class_name or ""),
        details=(_age(student.birth_date, head), student.native_place or "", student.phone or ""),
        problems=_problems(record),
        life_history=(record.file.life_history or "") if record.file else "",
        plan=_plan(record),
        records=await _records(session, student.id, head),
        closing=await _closing(session, record, closure, head),
        watermark=head.watermark,
    )
    return casefile_docx(doc)


async def _teacher(session: AsyncSession, student_id: int, record: CaseRecord) -> str:
    """辅导老师: the file's counsellor, else whoever holds the student-affairs seat now."""
    if record.file is not None and record.file.counsellor_id is not None:
        counsellor = await session.get(Person, record.file.counsellor_id)
        if counsellor is not None:
            return counsellor.name
    seat = (await team_of(session, student_id)).get(TeamRole.STUDENT_AFFAIRS)
    return seat.name if seat else ""


def _teacher_line(teacher: str, record: CaseRecord, head: CaseFileHead) -> str:
    case = record.file
    start = day_text(case.opened_at.astimezone(head.tz).date(), full=True) if case else ""
    ended = case.closed_at if case and record.closed and case.closed_at else head.now
    end = day_text(ended.astimezone(head.tz).date(), full=True)
    return render("export_casefile_teacher", teacher=teacher, start=start, end=end).strip()


def _age(born: date | None, head: CaseFileHead) -> str:
    if born is None:
        return ""
    today = head.now.astimezone(head.tz).date()
    return str(today.year - born.year - ((today.month, today.day) < (born.month, born.day)))


def _problems(record: CaseRecord) -> str:
    problems = []
    for category in record.categories:
        found = record.problems.get(category.code)
        if found is None or not (found.description or found.verification):
            continue
        verification = found.verification if category.code == PHYSICAL else None
        problems.append((category.name, found.description or "", verification))
    case = record.file
    return render(
        "export_casefile_problems",
        problems=problems,
        kind=case.problem_type if case else None,
        description=case.problem_description if case else None,
    ).strip()


def _plan(record: CaseRecord) -> str:
    case = record.file
    if case is None:
        return ""
    areas = [(area, text) for area in PLAN_AREAS if (text := getattr(case, area))]
    return render("export_casefile_plan", areas=areas).strip()


async def _records(
    session: AsyncSession, student_id: int, head: CaseFileHead
) -> tuple[CounselRecord, ...]:
    """Every 辅导记录 of the student, oldest first, numbered from 1."""
    query = (
        select(VisitLog, Person.name)
        .join(Person, col(Person.id) == col(VisitLog.author_id))
        .where(VisitLog.student_id == student_id)
        .order_by(col(VisitLog.occurred_at), col(VisitLog.id))
    )
    found = []
    for number, (log, author) in enumerate((await session.exec(query)).all(), start=1):
        local = log.occurred_at.astimezone(head.tz)
        heading = render(
            "export_casefile_record",
            number=number,
            when=local.strftime("%Y-%m-%d %H:%M"),
            place=log.place or "",
            effect=log.effect or "",
        ).strip()
        content = render("export_casefile_content", log=log, author=author).strip()
        found.append(CounselRecord(heading, content))
    return tuple(found)


async def _closing(
    session: AsyncSession, record: CaseRecord, closure: CaseClosure | None, head: CaseFileHead
) -> str:
    case = record.file
    closed = case.closed_at if case and record.closed else None
    proposer = None
    if closure is not None and closure.proposer_id is not None:
        person = await session.get(Person, closure.proposer_id)
        proposer = person.name if person else None
    return render(
        "export_casefile_closing",
        closed_on=day_text(closed.astimezone(head.tz).date(), full=True) if closed else None,
        closed=record.closed,
        pending=closure is not None,
        proposer=proposer,
        reason=closure.reason if closure else None,
        suggested=bool(case and case.close_suggested),
    ).strip()
