"""`摸排`: the start-of-semester survey. The student-affairs teacher walks every section form for
each of their students in turn; a student counts as surveyed once the walk is confirmed this
survey season, so `摸排` after a pause goes on with the next student not yet surveyed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from handlers.access.identity import Identity
from handlers.cases import sections
from handlers.context import Context
from handlers.conversation import forms
from handlers.conversation.forms import Run
from handlers.envelopes import Inbound, Outbound, text
from handlers.policy.model import Policy
from handlers.reminders.rules import policy_of
from messages.render import render
from storage.care import visits
from storage.cases import files
from storage.models import CaseFile, Person, TeamRole

CHANNEL = "_channel"


def season_start(day: date, policy: Policy) -> date | None:
    """The first day a 摸排 counts for the semester at `day` (or the next one, in a vacation):
    the day after the semester before it ended, so a walk done in the vacation counts for the
    coming semester. None before any semester is known (every walk counts)."""
    ahead = [s for s in policy.semesters if s.end >= day]
    current = ahead[0] if ahead else None
    before = [s for s in policy.semesters if current is None or s.end < current.start]
    if before:
        return before[-1].end + timedelta(days=1)
    return current.start if current else None


def _since(ctx: Context) -> datetime | None:
    tz = ctx.config.tz
    first = season_start(ctx.now.astimezone(tz).date(), policy_of(ctx))
    return datetime.combine(first, time(), tzinfo=tz) if first else None


async def pending_students(ctx: Context, teacher_id: int) -> tuple[list[Person], int]:
    """The teacher's open-file students not surveyed this season, in roster order, and how
    many students they survey in all."""
    mine = [
        person
        for person, seat in await visits.assigned_students(ctx.session, teacher_id)
        if seat == TeamRole.STUDENT_AFFAIRS
    ]
    cases = await files.files_of(ctx.session, [p.id or 0 for p in mine])
    since = _since(ctx)
    open_ones = [p for p in mine if not _closed(cases.get(p.id or 0))]
    left = [p for p in open_ones if not _surveyed(cases.get(p.id or 0), since)]
    return left, len(open_ones)


def _closed(case: CaseFile | None) -> bool:
    return case is not None and case.status == files.CLOSED


def _surveyed(case: CaseFile | None, since: datetime | None) -> bool:
    at = case.surveyed_at if case else None
    return at is not None and (since is None or at >= since)


async def start(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    return await _next(ctx, who, inbound.channel, intro=True)


async def _next(ctx: Context, who: Identity, channel: str, *, intro: bool) -> list[Outbound]:
    left, total = await pending_students(ctx, who.person_id)
    if total == 0:
        return [text(render("case_survey_none"))]
    if not left:
        return [text(render("case_survey_done", total=total))]
    student = left[0]
    record = await files.record_of(ctx.session, student.id or 0)
    prefill = {**sections.prefill(student, record), CHANNEL: (channel, "")}
    heading = render(
        "case_survey_student", student=student, done=total - len(left), total=total, intro=intro
    )
    opened = await forms.start(ctx, who, channel=channel, form=FORM, prefill=prefill)
    return [text(heading), *opened]


async def _complete(run: Run) -> list[Outbound]:
    saved = await sections.save(run, surveyed=True)
    if isinstance(saved, list):
        return saved
    done = text(render("case_survey_saved", student=saved.student))
    channel = str(run.state.values.get(CHANNEL) or "")
    return [done, *await _next(run.ctx, run.who, channel, intro=False)]


FORM = forms.Form(
    name="case_survey",
    title="case_survey_title",
    steps=sections.ALL_STEPS,
    choices=sections.no_choices,
    complete=_complete,
)
