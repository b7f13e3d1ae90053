"""The daily digest: one per person per digest day, only when something is due.

At most `MAX_STUDENTS` students are shown, most urgent first, each with a 记录 button that
opens the visit-log form with the student and the rule's first kind prefilled (a 周报 rule's
button opens the weekly-report form). A WeCom button card holds at most `CARD_BUTTONS`
buttons, so a digest of 7 or 8 students is two cards sent one after the other: every shown
student keeps a button, whatever the channel. The rest is summed up as "还有 N 项" with a
pointer to `待办`.

The scheduled digest shows what was due at today's digest time (contacts recorded since then
already count): a run after an outage sends what the 08:30 run would have, and nobody gets a
second, afternoon digest because something fell due after the digest time.

Idempotency: the digest is recorded (ReminderLog kind "digest", day = today) in the same
transaction that queues its outbox rows, and a person with a record is skipped, so a second
run, a restarted clock or a second clock sends nothing more that day. (A person with no
reachable account is recorded too, and not counted as sent.)
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from handlers.access import rules as access
from handlers.context import Context
from handlers.delivery import send_each
from handlers.envelopes import CARD_BUTTONS, Button, Outbound
from handlers.policy import calendar
from handlers.policy.load import WEEKLY_REPORT_KIND, Policy
from handlers.reminders.items import Reminder, due_for
from handlers.reminders.rules import policy_of
from messages.render import render
from storage.due import reminder_log as reminders
from storage.people.roles import roles_of
from storage.reading import no_full_collections

DIGEST = "digest"
MAX_STUDENTS = 8


def digest_slot(now: datetime, policy: Policy, *, tz: ZoneInfo) -> datetime | None:
    """Today's digest time once it has passed on a digest day outside quiet hours, else None.

    A digest missed while the service was down therefore goes out at the first run after
    the digest time that is not in quiet hours, the same day."""
    slot = calendar.digest_at(now.astimezone(tz).date(), policy, tz=tz)
    if slot is None or now < slot or calendar.in_quiet_hours(now, policy, tz=tz):
        return None
    return slot


async def run_digest(ctx: Context) -> int:
    """The scheduled job's step: send today's digests if it is time; how many people got one."""
    slot = digest_slot(ctx.now, policy_of(ctx), tz=ctx.config.tz)
    return 0 if slot is None else await send_digests(ctx, as_of=slot)


async def send_digests(ctx: Context, *, as_of: datetime, college: str | None = None) -> int:
    """Send today's digest to everyone with something due at `as_of` and no digest yet today
    (with `college`: the people reminded about that college's students)."""
    day = ctx.now.astimezone(ctx.config.tz).date()
    board = await due_for(ctx, as_of=as_of)
    done = await ctx.read(partial(reminders.logged, kind=DIGEST, day=day))
    wanted = {
        person: items
        for person, items in board.items()
        if person not in done and (college is None or _touches(items, college))
    }
    board.clear()  # from here each round lets go of its people's reminders (freeing a
    # school's at once stops the loop as surely as a full collection walking them)
    people, sent = sorted(wanted), 0
    with no_full_collections():  # the board is large: a full collection would walk it all
        for start in range(0, len(people), DIGEST_CHUNK):
            chunk = {person: wanted.pop(person) for person in people[start : start + DIGEST_CHUNK]}
            async with ctx.round() as round_ctx:  # a person's log and digest commit together
                sent += await _send_chunk(round_ctx, chunk, day=day)
            del chunk
            await asyncio.sleep(0)  # a school's digests take seconds: others go between
    return sent


DIGEST_CHUNK = 50
"""People per round of recording, rendering and queueing digests: a round keeps the event
loop, and the write lock on SQLite, well under the 200 ms /healthz bound
(tests/bot/test_event_loop.py)."""


async def _send_chunk(ctx: Context, wanted: dict[int, list[Reminder]], *, day: date) -> int:
    roles = await roles_of(ctx.session, list(wanted))
    names = await reminders.names(ctx.session, list(wanted))
    counts = {person_id: len(items) for person_id, items in wanted.items()}
    claimed = await reminders.claim_many(
        ctx.session, kind=DIGEST, day=day, items=counts, now=ctx.now
    )
    messages = {
        person_id: digest_messages(
            items,
            name=names.get(person_id, ""),
            restricted=not access.may_see_sensitive(roles.get(person_id, frozenset())),
        )
        for person_id, items in wanted.items()
        if person_id in claimed
    }
    return len(await send_each(ctx, messages, key=lambda part: _digest_key(day, part)))


def _digest_key(day: date, part: int) -> str:
    return f"{DIGEST}:{day.isoformat()}" + (f":{part}" if part > 1 else "")


def _touches(items: list[Reminder], college: str) -> bool:
    return any(item.student.college == college for item in items)


def digest_messages(items: list[Reminder], *, name: str, restricted: bool) -> list[Outbound]:
    """The digest's cards: up to MAX_STUDENTS students, CARD_BUTTONS buttons per card."""
    groups = by_student(items)
    shown, hidden = groups[:MAX_STUDENTS], groups[MAX_STUDENTS:]
    rest = sum(len(group) for group in hidden)
    chunks = [shown[i : i + CARD_BUTTONS] for i in range(0, len(shown), CARD_BUTTONS)]
    labels = _button_labels(shown)
    cards = []
    for part, chunk in enumerate(chunks, start=1):
        last = part == len(chunks)
        body = render(
            "digest",
            name=name,
            part=part,
            offset=(part - 1) * CARD_BUTTONS,
            rows=rows_of(chunk, restricted=restricted),
            total=len(items),
            rest=rest if last else 0,
            last=last,
        )
        title = render("digest_title", part=part, parts=len(chunks))
        buttons = tuple(Button(_button_key(group[0]), labels[id(group)]) for group in chunk)
        cards.append(Outbound(kind="card", text=body, title=title, buttons=buttons))
    return cards


def by_student(items: list[Reminder]) -> list[list[Reminder]]:
    """The reminders grouped per student, in the order of each student's most urgent one."""
    groups: dict[int, list[Reminder]] = {}
    for item in items:
        groups.setdefault(item.student.id, []).append(item)
    return list(groups.values())


def rows_of(groups: list[list[Reminder]], *, restricted: bool) -> list[dict[str, Any]]:
    """Template rows; `restricted` (peer mentors) hides key attention and sensitive titles."""
    return [
        {
            "name": group[0].student.name,
            "class_name": group[0].student.class_name,
            "key": group[0].key_attention and not restricted,
            "entries": [_entry(item, restricted=restricted) for item in group],
        }
        for group in groups
    ]


def _entry(item: Reminder, *, restricted: bool) -> dict[str, Any]:
    return {
        "title": item.title,
        "period": item.period,
        "hidden": restricted and item.sensitive,
        "overdue": item.overdue_days,
        "deadline": item.deadline,
        "nudge": item.nudge,
    }


def _button_key(item: Reminder) -> str:
    """The weekly report has its own form; every other rule opens the visit-log form."""
    if item.kind == WEEKLY_REPORT_KIND:
        return WEEKLY_REPORT_KIND
    return f"visit:start:{item.student.id}:{item.kind}"


def _button_labels(groups: list[list[Reminder]]) -> dict[int, str]:
    """The student's name; with the class when two shown students share a name."""
    counts = Counter(group[0].student.name for group in groups)
    return {
        id(group): render(
            "digest_button",
            name=group[0].student.name,
            class_name=group[0].student.class_name if counts[group[0].student.name] > 1 else None,
        )
        for group in groups
    }
