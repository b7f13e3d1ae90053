"""A scripted in-memory Sender for outbox tests: records calls, answers as told."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.channels.base import Delivery
from handlers.envelopes import Outbound

Script = Callable[[Outbound, Sequence[str]], list[Delivery]]


@dataclass
class ScriptedSender:
    channel: str = "wecom"
    batch_size: int = 3
    per_member_per_minute: int | None = None
    calls: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)
    script: list[Script | Exception] = field(default_factory=list)
    delay: float = 0.0

    async def send(
        self, message: Outbound, recipients: Sequence[str], *, batch_key: str
    ) -> list[Delivery]:
        self.calls.append((message.text, tuple(recipients), batch_key))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, Exception):
                raise step
            return step(message, recipients)
        return [Delivery(r, "sent", msgid=f"m-{len(self.calls)}") for r in recipients]

    def delivered(self) -> list[str]:
        return [r for _, recipients, _ in self.calls for r in recipients]
