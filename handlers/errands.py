"""The long work a chat may ask for, by kind: what the runner (bot/work.py) does with a
stored request (storage/work.py) and what the requester hears when it is done. Each one runs
in a fresh transaction whose context has the reader, and may run twice (after a crash): it
must be written to be repeated."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from handlers.context import Context
from handlers.envelopes import Outbound, text
from handlers.reminders import commands as reminders
from messages.render import render

Errand = Callable[[Context, dict[str, Any], int | None], Awaitable[list[Outbound]]]

ERRANDS: dict[str, Errand] = {reminders.SEND_DIGESTS: reminders.send_digests_now}
NAMES = {reminders.SEND_DIGESTS: "work_send_digests"}


def failed(kind: str) -> Outbound:
    """What the requester hears when the work could not be done after its retries."""
    name = render(NAMES.get(kind, "work_unnamed")).strip()
    return text(render("work_failed", what=name))
