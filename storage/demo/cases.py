"""Demo case files (档案表): problem, life history and the 一生一策 plan per special student."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storage.demo.data import CaseText, DemoData
from storage.demo.people import PersonSpec
from storage.demo.teams import Reserved, Team
from storage.demo.visits import WINDOW_DAYS, enrolled, working_time
from storage.models import TeamRole

NO_PLAN_SHARE = 0.05
CLOSE_SHARE = 0.05
MAX_MEASURES = 5
OPENED_DAYS = (WINDOW_DAYS + 5, 400)


@dataclass(eq=False)
class CaseSpec:
    student: PersonSpec
    counsellor: PersonSpec | None
    opened_at: datetime
    problem_type: str
    problem_description: str
    life_history: str
    plan: str | None
    close_suggested: bool

    def row(self, ids: Mapping[str, int], *, now: datetime) -> dict[str, Any]:
        row = {k: v for k, v in vars(self).items() if k not in {"student", "counsellor"}}
        counsellor = ids[self.counsellor.code] if self.counsellor else None
        return {
            **row,
            "student_id": ids[self.student.code],
            "counsellor_id": counsellor,
            "updated_at": now,
        }


@dataclass
class CaseMaker:
    rng: random.Random
    data: DemoData
    now: datetime
    tz: ZoneInfo
    category_names: Mapping[str, str]

    def case(self, team: Team, *, with_plan: bool) -> CaseSpec:
        rng, student = self.rng, team.student
        texts = self._texts(student)
        return CaseSpec(
            student=student,
            counsellor=team.seats.get(TeamRole.STUDENT_AFFAIRS),
            opened_at=self._opened(student),
            problem_type=self.data.separator.join(
                self.category_names.get(code, code) for code in student.categories
            ),
            problem_description=self._clauses([rng.choice(t.problem) for t in texts]),
            life_history=self._clauses([rng.choice(t.history) for t in texts]),
            plan=self._plan(texts) if with_plan else None,
            close_suggested=rng.random() < CLOSE_SHARE,
        )

    def _opened(self, student: PersonSpec) -> datetime:
        """Some months back, but not before the student enrolled, and never in the future."""
        today = self.now.astimezone(self.tz).date()
        drawn = today - timedelta(days=self.rng.randint(*OPENED_DAYS))
        first = enrolled(student, self.tz).astimezone(self.tz).date() + timedelta(days=7)
        opened = working_time(self.rng, max(drawn, first), tz=self.tz)
        return min(opened, self.now - timedelta(hours=1))

    def _texts(self, student: PersonSpec) -> list[CaseText]:
        texts = [self.data.cases[c] for c in student.categories if c in self.data.cases]
        return texts or [next(iter(self.data.cases.values()))]

    def _clauses(self, clauses: Sequence[str]) -> str:
        return self.data.clause_separator.join(dict.fromkeys(clauses))

    def _plan(self, texts: Sequence[CaseText]) -> str:
        measures = list(dict.fromkeys(m for t in texts for m in t.measures))[:MAX_MEASURES]
        return "\n".join(f"{number}. {measure}" for number, measure in enumerate(measures, 1))


def make_cases(maker: CaseMaker, teams: Sequence[Team], *, reserved: Reserved) -> list[CaseSpec]:
    """One case file per special student; a few still lack their 一生一策 plan."""
    others = [t for t in teams if t.student is not reserved.special]
    count = min(len(others), max(2, round(len(teams) * NO_PLAN_SHARE)))
    without_plan = {id(t) for t in maker.rng.sample(others, count)}
    return [maker.case(t, with_plan=id(t) not in without_plan) for t in teams]
