"""A grades import and what follows from it: each special student's academic warning stored,
and a new or raised warning sent 1:1 to the student's academic mentor and student-affairs
teacher with the failed courses and a 记录 button (seed 000 §三(一).2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from handlers.access import rules as access
from handlers.context import Context
from handlers.delivery import send_to_people
from handlers.envelopes import Button, Outbound
from handlers.policy import calendar
from handlers.policy.model import Policy
from handlers.reminders.rules import policy_of
from messages.render import render
from storage.academic.importer import GradeImport, import_grades
from storage.academic.ledger import standing_context
from storage.academic.sheet import SemesterLookup, SemesterRef
from storage.academic.warnings import WarningNews, record_warnings
from storage.care import visits
from storage.models import Person, PersonKind

TUTORING_KIND = "学业辅导"
"""The visit kind the 记录 button prefills (the academic_tutoring rules count it)."""


@dataclass
class GradesOutcome:
    found: GradeImport
    news: list[WarningNews] = field(default_factory=list)
    told: int = 0
    """Messages queued to teachers."""

    @property
    def new(self) -> int:
        return sum(not item.raised for item in self.news)

    @property
    def raised(self) -> int:
        return sum(item.raised for item in self.news)


def semester_lookup(policy: Policy) -> SemesterLookup:
    """The import's 学期 column read the policy's way (handlers/policy/calendar)."""

    def lookup(name: str) -> SemesterRef | None:
        semester = calendar.semester_named(name, policy)
        return SemesterRef(semester.name, semester.start) if semester else None

    return lookup


async def import_grades_file(ctx: Context, path: Path, *, dry_run: bool = False) -> GradesOutcome:
    """Import the workbook (GradeImportError when any row is wrong), store the warnings and
    queue the news, all in the caller's transaction; `dry_run` only checks."""
    policy = policy_of(ctx)
    found = await import_grades(
        ctx.session, path, semesters=semester_lookup(policy), now=ctx.now, dry_run=dry_run
    )
    outcome = GradesOutcome(found)
    if dry_run:
        return outcome
    outcome.news = await record_warnings(
        ctx.session,
        semesters=found.semesters,
        thresholds=policy.academic_warning,
        now=ctx.now,
    )
    for item in outcome.news:
        outcome.told += await tell_team(ctx, item)
    return outcome


async def tell_team(ctx: Context, news: WarningNews) -> int:
    """Queue the warning for the student's academic mentor and student-affairs teacher."""
    student = await ctx.session.get(Person, news.student_id)
    team = await visits.team_of(ctx.session, news.student_id)
    people = [
        holder.id
        for seat, holder in sorted(team.items())
        if holder.id is not None
        and access.receives_academic_warning(seat, staff=holder.kind == PersonKind.STAFF)
    ]
    if student is None or not people:
        return 0
    message = warning_card(student, news)
    key = f"academic_warning:{news.student_id}:{news.semester}:{news.level}"
    return await send_to_people(
        ctx, person_ids=list(dict.fromkeys(people)), message=message, key=key
    )


def warning_card(student: Person, news: WarningNews) -> Outbound:
    body = render(
        "academic_warning_notice",
        name=student.name,
        class_name=student.class_name,
        semester=news.semester,
        level=news.level,
        raised=news.raised,
        **standing_context(news.standing),
    )
    button = Button(
        key=f"visit:start:{news.student_id}:{TUTORING_KIND}",
        label=render("academic_warning_button"),
    )
    title = render("academic_warning_title", level=news.level, raised=news.raised)
    return Outbound(kind="card", title=title, text=body, buttons=(button,))
