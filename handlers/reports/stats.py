"""The statistics, worked out once for the chat's 统计, `carebot stats` and the yearly summary:
the policy says the rules and the range, storage reads the figures (on the reader), and the
due evaluation says what is overdue."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Context
from handlers.policy import calendar
from handlers.policy.model import SEATS, Policy, Rule
from handlers.reminders.items import due_for
from handlers.reminders.rules import graduating_year, policy_of
from messages.render import render
from storage.care.kinds import effects
from storage.due.reminder_log import names
from storage.reports import stats_activity as activity
from storage.reports import stats_queries as queries
from storage.reports.stats_model import Coverage, Overdue, Stats, StatsScope

INTENTION_SURVEY = "就业意向"  # storage/data/surveys.toml: the survey and its choice question
INTENTION_QUESTION = "intention"


def default_range(ctx: Context) -> tuple[date, date]:
    """The current semester (or the latest begun, in a vacation); the last 30 days without
    one."""
    policy, today = policy_of(ctx), ctx.now.astimezone(ctx.config.tz).date()
    semester = calendar.semester_at(today, policy) or next(
        iter(calendar.latest_semesters(today, policy, count=1)), None
    )
    if semester is None:
        return today - timedelta(days=30), today
    return semester.start, semester.end


def scope_of(ctx: Context, *, college: str | None, first: date, last: date) -> StatsScope:
    """[first, last] as local days; coverage is measured now, or at the end if that is past."""
    tz = ctx.config.tz
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    return StatsScope(start=start, end=end, college=college, as_of=min(ctx.now, end))


async def gather(ctx: Context, scope: StatsScope, *, graduating: int | None = None) -> Stats:
    """Every figure for the scope; `graduating`: the class counted for the careers figures
    (default: this academic year's)."""
    year = graduating or graduating_year(ctx)
    rules = contact_rules(policy_of(ctx), scope, ctx=ctx)

    async def read(session: AsyncSession) -> Stats:
        stats = Stats(scope)
        await queries.fill_population(session, stats)
        school = replace(scope, college=None)
        stats.college_totals = await queries.totals_by_college(session, school)
        stats.complete_teams = await queries.complete_teams(session, scope)
        for rule in rules:
            met = await queries.contacted(session, scope, rule)
            stats.coverage.append(
                Coverage(rule.rule_id, rule.title, rule.cadence, stats.students, met)
            )
        await queries.fill_effects(session, stats, scale=effects(), tz=ctx.config.tz)
        stats.alerts = await activity.alerts(session, scope)
        await activity.fill_aid(session, stats)
        await activity.fill_notices(session, stats)
        await activity.fill_careers(
            session, stats, year=year, survey=INTENTION_SURVEY, question=INTENTION_QUESTION
        )
        return stats

    stats = await ctx.read(read)
    stats.overdue = await overdue_by_person(ctx, college=scope.college)
    return stats


def contact_rules(policy: Policy, scope: StatsScope, *, ctx: Context) -> list[queries.ContactRule]:
    """The policy's rules for every special student, as coverage questions at `as_of`: a
    rolling rule (talk every N days) asks for one contact in the last N days, a paced one
    (dorm visits K times a month) for K in the period so far."""
    found = []
    for rule in policy.rules:
        if rule.students != "special" or rule.counts_weekly_reports:
            continue
        asked = _asked(rule, policy, scope, ctx=ctx)
        if asked is not None:
            found.append(asked)
    return found


def _asked(
    rule: Rule, policy: Policy, scope: StatsScope, *, ctx: Context
) -> queries.ContactRule | None:
    seats = SEATS if rule.responsible == "team" else (rule.responsible,)
    cadence = rule.cadence
    if cadence.every_days is not None:
        since, times = scope.as_of - timedelta(days=cadence.every_days), 1
    else:
        day = scope.as_of.astimezone(ctx.config.tz).date()
        bounds = calendar.period_bounds(
            day, cadence.per or "semester", policy=policy, tz=ctx.config.tz
        )
        if bounds is None:
            return None
        since, times = bounds[0], cadence.times
    said = render("stats_cadence", every_days=cadence.every_days, times=times, per=cadence.per)
    return queries.ContactRule(rule.id, rule.title, said.strip(), rule.kinds, since, times, seats)


async def overdue_by_person(ctx: Context, *, college: str | None) -> list[Overdue]:
    """Overdue items per reminded person (the due evaluation's own), most first."""
    board = await due_for(ctx)
    items: dict[int, int] = defaultdict(int)
    students: dict[int, set[int]] = defaultdict(set)
    for person_id, reminders in board.items():
        for reminder in reminders:
            if reminder.overdue_days <= 0:
                continue
            if college is not None and reminder.student.college != college:
                continue
            items[person_id] += 1
            students[person_id].add(reminder.student.id)

    async def read(session: AsyncSession) -> dict[int, str]:
        return await names(session, sorted(items))

    called = await ctx.read(read) if items else {}
    found = [Overdue(called.get(p, ""), n, len(students[p])) for p, n in items.items()]
    return sorted(found, key=lambda o: (-o.items, o.person))
