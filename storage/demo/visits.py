"""Demo visit history: 60 days of contacts by each student's own team, at a realistic pace."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storage.demo.data import Cadence, DemoData
from storage.demo.people import PersonSpec
from storage.demo.teams import Team
from storage.models import TeamRole

WINDOW_DAYS = 60
LAG_FACTOR = 1.8
LAG_SILENCE_DAYS = (18.0, 35.0)
FOLLOW_UP_SHARE = 0.3
WORKDAY_MINUTES = (8 * 60 + 30, 17 * 60 + 30)


def working_time(rng: random.Random, day: date, *, tz: ZoneInfo, weekdays: bool = True) -> datetime:
    """A moment in office hours on `day` (moved off the weekend for staff), in UTC."""
    if weekdays and day.weekday() >= 5:
        day += timedelta(days=-1 if day.weekday() == 5 else 1)
    minutes = rng.randrange(*WORKDAY_MINUTES, 5)
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)
    return local.astimezone(UTC)


def enrolled(student: PersonSpec, tz: ZoneInfo) -> datetime:
    """When the student arrived on campus: September of their grade."""
    year = int(student.grade) if student.grade else 1970
    return datetime(year, 9, 1, tzinfo=tz).astimezone(UTC)


@dataclass(eq=False)
class VisitSpec:
    student: PersonSpec
    author: PersonSpec
    kind: str
    occurred_at: datetime
    created_at: datetime
    place: str | None
    summary: str
    effect: str
    follow_up: str | None = None
    risk: bool = False
    risk_description: str | None = None

    def row(self, ids: Mapping[str, int]) -> dict[str, Any]:
        row = {k: v for k, v in vars(self).items() if k not in {"student", "author"}}
        return {**row, "student_id": ids[self.student.code], "author_id": ids[self.author.code]}


@dataclass
class VisitMaker:
    rng: random.Random
    data: DemoData
    now: datetime
    tz: ZoneInfo
    year: int
    lagging: frozenset[int]

    @property
    def start(self) -> datetime:
        return self.now - timedelta(days=WINDOW_DAYS)

    def team(self, team: Team) -> Iterator[VisitSpec]:
        """Every contact the team made with its student in the window, seat by seat."""
        for cadence in self.data.cadences:
            author = team.seats.get(cadence.seat)
            if author is None or not self._applies(cadence, team.student):
                continue
            peer = cadence.seat == TeamRole.PEER_MENTOR
            since = max(self.start, enrolled(team.student, self.tz))
            for day in self._days(cadence, lagging=id(author) in self.lagging):
                moment = working_time(self.rng, day, tz=self.tz, weekdays=not peer)
                if since <= moment < self.now:
                    yield self.visit(team.student, author, kind=cadence.kind, at=moment, peer=peer)

    def _applies(self, cadence: Cadence, student: PersonSpec) -> bool:
        if cadence.categories and not cadence.categories & set(student.categories):
            return False
        if cadence.final_year and student.graduation_year != self.year + 1:
            return False
        return self.rng.random() < cadence.share

    def _days(self, cadence: Cadence, *, lagging: bool) -> Iterator[date]:
        low, high = cadence.every
        end = float(WINDOW_DAYS)
        if lagging:
            low, high = low * LAG_FACTOR, high * LAG_FACTOR
            end -= self.rng.uniform(*LAG_SILENCE_DAYS)
        first = self.start.astimezone(self.tz).date()
        offset = self.rng.uniform(0, high)
        while offset < end:
            yield first + timedelta(days=int(offset))
            offset += self.rng.uniform(low, high)

    def visit(
        self, student: PersonSpec, author: PersonSpec, *, kind: str, at: datetime, peer: bool
    ) -> VisitSpec:
        rng, data = self.rng, self.data
        effects = list(data.effects)
        return VisitSpec(
            student=student,
            author=author,
            kind=kind,
            occurred_at=at,
            created_at=self._recorded(at),
            place=self._place(student, kind),
            summary=self._summary(student, kind, peer=peer),
            effect=rng.choices(effects, [data.effects[e] for e in effects])[0],
            follow_up=rng.choice(data.follow_up) if rng.random() < FOLLOW_UP_SHARE else None,
        )

    def _recorded(self, at: datetime) -> datetime:
        """Most logs are written the same day; some days later, from memory."""
        if self.rng.random() < 0.7:
            delay = timedelta(minutes=self.rng.randrange(10, 180))
        else:
            delay = timedelta(days=self.rng.randint(1, 3), minutes=self.rng.randrange(600))
        return min(at + delay, self.now)

    def _place(self, student: PersonSpec, kind: str) -> str | None:
        places = self.data.places.get(kind)
        return self.rng.choice(places) if places else student.dorm

    def _summary(self, student: PersonSpec, kind: str, *, peer: bool) -> str:
        text = (self.data.peer_summaries if peer else self.data.summaries)[kind]
        fields = {name: self.rng.choice(options) for name, options in text.parts.items()}
        fields["focus"] = self.rng.choice(self._focus(student))
        fields["course"] = self.rng.choice(self.data.courses)
        pronoun = self.data.pronoun.get(student.gender, "")
        return text.pattern.format(**fields).replace("{ta}", pronoun)

    def _focus(self, student: PersonSpec) -> list[str]:
        topics = [t for code in student.categories for t in self.data.focus.get(code, ())]
        return topics or [t for options in self.data.focus.values() for t in options]


def make_visits(maker: VisitMaker, teams: Sequence[Team]) -> list[VisitSpec]:
    """The visit history of every team, plus a couple of recent risk reports."""
    visits = [visit for team in teams for visit in maker.team(team)]
    return visits + make_risks(maker, teams)


def make_risks(maker: VisitMaker, teams: Sequence[Team]) -> list[VisitSpec]:
    """Recent risk logs (risk=True) by the student-affairs teacher of key-attention students."""
    rng, data = maker.rng, maker.data
    candidates = [
        t for t in teams if t.student.key_attention and TeamRole.STUDENT_AFFAIRS in t.seats
    ]
    count = min(len(candidates), max(2, len(teams) // 30))
    risks: list[VisitSpec] = []
    for team in rng.sample(candidates, count):
        today = maker.now.astimezone(maker.tz).date()
        # At least two days back: a Sunday moves to Monday, which must still be in the past.
        day = today - timedelta(days=rng.randint(2, data.risk_recent_days))
        at = working_time(rng, day, tz=maker.tz)
        kind = rng.choice(data.risk_kinds)
        author = team.seats[TeamRole.STUDENT_AFFAIRS]
        visit = maker.visit(team.student, author, kind=kind, at=at, peer=False)
        visit.effect = data.risk_effect
        visit.risk = True
        visit.risk_description = rng.choice(data.risk_description)
        visit.follow_up = rng.choice(data.risk_follow_up)
        risks.append(visit)
    return risks
