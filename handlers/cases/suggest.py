"""The bot's suggestion to close a case file: after a visit log is saved, a run of good effect
assessments (policy [case_file]) sends the student-affairs teacher one suggestion, once per
open file (close_suggested; cleared when the file is reopened)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from handlers.aid.help_request import who_answers
from handlers.context import Context
from handlers.delivery import send_to_people
from handlers.envelopes import text
from handlers.policy.model import CaseFilePolicy
from handlers.reminders.rules import policy_of
from messages.render import render
from storage.cases import closures, files
from storage.models import Person, VisitLog

LOOK_BACK = 50
"""Latest effects read: a longer good run than this still counts as met."""


def good_run(effects: Sequence[tuple[datetime, str | None]], policy: CaseFilePolicy) -> bool:
    """Whether the latest effects (newest first) end in a run of at least `good_run` good
    assessments in a row whose oldest is at least `run_days` before its newest."""
    if not policy.suggest_close:
        return False
    run = []
    for at, effect in effects:
        if effect not in policy.good_effects:
            break
        run.append(at)
    if len(run) < policy.good_run:
        return False
    return run[0] - run[-1] >= timedelta(days=policy.run_days)


async def after_log(ctx: Context, log: VisitLog) -> None:
    """Called once a visit log is stored: suggest closing when the run is met, not yet
    suggested, and nobody has proposed closing already."""
    policy = policy_of(ctx).case_file
    if not policy.suggest_close:
        return
    effects = await closures.recent_effects(ctx.session, log.student_id, limit=LOOK_BACK)
    if not good_run(effects, policy):
        return
    case = await files.ensure_file(ctx.session, log.student_id, now=ctx.now)
    if case.status == files.CLOSED or case.close_suggested:
        return
    if await closures.pending_for(ctx.session, log.student_id) is not None:
        return
    student = await ctx.session.get(Person, log.student_id)
    teacher = await who_answers(ctx, student) if student else None
    await closures.mark_suggested(ctx.session, case)
    if student is None or teacher is None or teacher.id is None:
        return
    body = render("case_close_suggestion", student=student, policy=policy)
    key = f"case:suggest:{log.student_id}:{log.id}"
    await send_to_people(ctx, person_ids=[teacher.id], message=text(body), key=key)
