"""Surveys in chat: `发起调查 就业意向 年级=2023` sends one 1:1, `参加调查 N` (or its button)
opens it for a recipient, `调查结果 N` counts the answers and lists who has not answered."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.careers import survey_form
from handlers.context import Context
from handlers.conversation.answers import normalise, number_of
from handlers.delivery import send_to_people
from handlers.envelopes import Button, Inbound, Outbound, text
from handlers.outreach import filters as filter_syntax
from handlers.reminders.rules import graduating_year
from messages.render import render
from storage import audit
from storage.careers import surveys
from storage.careers.surveys import Definition
from storage.models import Survey, SurveyRecipient
from storage.outreach import audience as audiences
from storage.outreach.audience import Audience, Filters

START_BUTTON = "survey:start:"
TOPIC = "通知"
"""Surveys are official: they reach everyone the filters name (通知 cannot be turned off)."""
WAITING_LISTED = 30
REMIND_EVERY = timedelta(days=1)


async def send(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """`发起调查 NAME [filters]`."""
    scope = access.survey_scope(who.roles, person_id=who.person_id, college=who.person.college)
    if scope.nobody:
        await audit.record(ctx.session, action="denied_survey", at=ctx.now, actor_id=who.person_id)
        return [text(render("careers_survey_not_allowed"))]
    name, _, filter_text = normalise(args).partition(" ")
    definition = surveys.definitions().get(name)
    if definition is None:
        return [
            text(render("careers_survey_unknown", given=name, names=list(surveys.definitions())))
        ]
    filters = await _filters(ctx, definition, filter_text)
    if isinstance(filters, str):
        return [text(filters)]
    found = await audiences.resolve(
        ctx.session,
        filters,
        within=scope,
        topic=TOPIC,
        channels={channel: ctx.config.match_for(channel) for channel in ctx.config.channels},
        now=ctx.now,
        class_year=graduating_year(ctx),
    )
    if not found.recipients:
        return [text(render("careers_survey_empty", left=_left(found)))]
    return [text(await _send(ctx, who, definition, filter_text, found))]


async def _filters(ctx: Context, definition: Definition, typed: str) -> Filters | str:
    """The typed filters (or the reply that refuses them); without a year or 学号, the
    survey's own default audience (this year's final-year class, or last year's)."""
    parsed = filter_syntax.parse_filters(typed)
    if isinstance(parsed, filter_syntax.FilterError):
        return render("outreach_filter_error", error=parsed)
    unknown = await audiences.unknown_values(ctx.session, parsed)
    if unknown:
        labels = {field: name for name, field in filter_syntax.NAMES.items()}
        return render(
            "outreach_filter_unknown_values",
            rows=[(labels[field], valid) for field, valid in unknown.items()],
        )
    if parsed.grades or parsed.graduating_years or parsed.student_numbers:
        return parsed
    year = graduating_year(ctx)
    defaults = {"graduating": (year,), "graduated": (year - 1,)}
    return replace(parsed, graduating_years=defaults.get(definition.audience, ()))


async def _send(
    ctx: Context, who: Identity, definition: Definition, typed: str, found: Audience
) -> str:
    deadline = ctx.now.astimezone(ctx.config.tz).date() + timedelta(days=definition.days)
    survey = await surveys.add_survey(
        ctx.session,
        Survey(
            kind=definition.name,
            sender_id=who.person_id,
            audience=typed,
            deadline=deadline,
            created_at=ctx.now,
        ),
        recipients=found.recipients,
    )
    assert survey.id is not None
    invite = Outbound(
        kind="card",
        title=definition.title,
        text=render("careers_survey_invite", title=definition.title, survey=survey),
        buttons=(Button(f"{START_BUTTON}{survey.id}", render("careers_survey_start_button")),),
    )
    queued = await send_to_people(
        ctx, person_ids=found.recipients, message=invite, key=f"survey:{survey.id}"
    )
    await audit.record(
        ctx.session,
        action="survey_sent",
        at=ctx.now,
        actor_id=who.person_id,
        detail=f"survey {survey.id}: {queued} queued",
    )
    return render(
        "careers_survey_sent",
        survey=survey,
        title=definition.title,
        count=queued,
        left=_left(found),
    )


async def take(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """`参加调查 N` or the invitation's button: open the survey's form for a recipient."""
    found = await _sent_to(ctx, who, args)
    if found is None:
        return [text(render("careers_survey_not_yours"))]
    survey, row, definition = found
    assert survey.id is not None
    if survey.deadline and survey.deadline < ctx.now.astimezone(ctx.config.tz).date():
        return [text(render("careers_survey_closed", title=definition.title))]
    if row.answered_at is not None:
        return [text(render("careers_survey_already", title=definition.title))]
    return await survey_form.start(
        ctx, who, channel=inbound.channel, definition=definition, survey_id=survey.id
    )


async def _sent_to(
    ctx: Context, who: Identity, args: str
) -> tuple[Survey, SurveyRecipient, Definition] | None:
    """The survey `args` names, when it was sent to `who`."""
    survey_id = number_of(args.strip())
    survey = await surveys.get_survey(ctx.session, survey_id) if survey_id else None
    if survey is None or survey.id is None:
        return None
    row = await surveys.recipient(ctx.session, survey.id, who.person_id)
    definition = surveys.definitions().get(survey.kind)
    return None if row is None or definition is None else (survey, row, definition)


async def show_results(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """`调查结果 N`: answered / sent, each choice's count, and who has not answered."""
    survey_id = number_of(args.strip())
    survey = await surveys.get_survey(ctx.session, survey_id) if survey_id else None
    sent_it = survey is not None and survey.sender_id == who.person_id
    if survey is None or not access.may_see_survey_results(who.roles, sent_it=sent_it):
        if survey is not None:
            await audit.record(
                ctx.session, action="denied_survey_results", at=ctx.now, actor_id=who.person_id
            )
        return [text(render("careers_survey_no_results", number=args.strip()))]
    assert survey.id is not None
    definition = surveys.definitions()[survey.kind]
    found = await surveys.results(ctx.session, survey.id)
    questions = [
        {
            "label": q.label,
            "counts": [(c, found.count(q.key, c)) for c in q.choices],
        }
        for q in definition.questions
        if q.kind == "choice"
    ]
    waiting = found.waiting[:WAITING_LISTED]
    return [
        text(
            render(
                "careers_survey_results",
                survey=survey,
                title=definition.title,
                results=found,
                questions=questions,
                waiting=waiting,
                more=len(found.waiting) - len(waiting),
            )
        )
    ]


def _left(found: Audience) -> dict[str, int]:
    reasons = [reason for _, reason in found.left_out]
    return {reason: reasons.count(reason) for reason in ("no_account", "unsubscribed", "graduated")}


async def sent_by(ctx: Context, who: Identity, number: int) -> bool:
    """Whether survey `number` is this person's own."""
    found = await surveys.get_survey(ctx.session, number)
    return found is not None and found.sender_id == who.person_id


async def remind(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """`调查催办 N`: one short reminder to those who have not answered, at most once a day."""
    survey_id = number_of(args.strip())
    survey = await surveys.get_survey(ctx.session, survey_id) if survey_id else None
    sent_it = survey is not None and survey.sender_id == who.person_id
    if survey is None or not access.may_see_survey_results(who.roles, sent_it=sent_it):
        return [text(render("careers_survey_no_results", number=args.strip()))]
    assert survey.id is not None
    definition = surveys.definitions()[survey.kind]
    today = ctx.now.astimezone(ctx.config.tz).date()
    if survey.deadline and survey.deadline < today:
        return [text(render("careers_survey_closed", title=definition.title))]
    if survey.reminded_at and ctx.now - survey.reminded_at < REMIND_EVERY:
        return [text(render("careers_survey_remind_too_soon", survey=survey))]
    waiting = (await surveys.results(ctx.session, survey.id)).waiting_ids
    reminder = Outbound(
        kind="card",
        title=definition.title,
        text=render("careers_survey_reminder", title=definition.title, survey=survey),
        buttons=(Button(f"{START_BUTTON}{survey.id}", render("careers_survey_start_button")),),
    )
    key = f"survey:{survey.id}:remind:{today.isoformat()}"
    queued = await send_to_people(ctx, person_ids=waiting, message=reminder, key=key)
    await surveys.mark_reminded(ctx.session, survey, now=ctx.now)
    return [text(render("careers_survey_reminded", survey=survey, count=queued))]
