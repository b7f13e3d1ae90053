"""A seeded random fault schedule for FakeWeComServer: the ways WeCom fails in production.

Each call to a scheduled path draws at most one fault. What each does is what WeCom (or the
network in front of it) does, so the real client code meets the real answers:

- "http500": a 5xx from WeCom's gateway, nothing delivered;
- "hang": no answer at all (the client's timeout fires), nothing delivered;
- "lost": delivered, then the answer never arrives (the client times out after WeCom acted);
- 42001: the access token expired early (every token issued so far is refused);
- 45009 / 45033 / -1: API frequency limit, concurrency limit, system busy; nothing delivered.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

Fault = int | str

SEND_FAULTS: dict[Fault, float] = {
    "http500": 0.05,
    "hang": 0.03,
    "lost": 0.03,
    42001: 0.04,
    45009: 0.05,
    45033: 0.02,
    -1: 0.02,
}
"""Per message/send call; about one call in four fails."""

TOKEN_FAULTS: dict[Fault, float] = {"http500": 0.1, -1: 0.05}
"""Per gettoken call (token expiry and lost answers make no sense there)."""


@dataclass
class FaultSchedule:
    seed: int
    rates: dict[str, dict[Fault, float]] = field(
        default_factory=lambda: {"message/send": SEND_FAULTS, "gettoken": TOKEN_FAULTS}
    )
    injected: Counter[Fault] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def draw(self, path: str) -> Fault | None:
        """The fault this call meets, or None; every draw consumes the same randomness, so a
        seed replays the same schedule for the same sequence of calls."""
        roll = self._rng.random()
        for fault, rate in self.rates.get(path, {}).items():
            if roll < rate:
                self.injected[fault] += 1
                return fault
            roll -= rate
        return None
