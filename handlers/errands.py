"""The long work a chat may ask for, by kind: what the runner (bot/work.py) does with a
stored request (storage/work.py) and what the requester hears when it is done. Each one runs
in a fresh transaction whose context has the reader, and may run twice (after a crash): it
must be written to be repeated."""

from __future__ import annotations

from handlers.context import Errand
from handlers.envelopes import Outbound, text
from handlers.reminders import commands as reminders
from handlers.reports import exports_commands, stats_commands
from messages.render import render

ERRANDS: dict[str, Errand] = {
    reminders.SEND_DIGESTS: reminders.send_digests_now,
    **exports_commands.ERRANDS,
    **stats_commands.ERRANDS,
}
NAMES = {
    reminders.SEND_DIGESTS: "work_send_digests",
    **exports_commands.NAMES,
    **stats_commands.NAMES,
}


def failed(kind: str) -> Outbound:
    """What the requester hears when the work could not be done after its retries."""
    name = render(NAMES.get(kind, "work_unnamed")).strip()
    return text(render("work_failed", what=name))
