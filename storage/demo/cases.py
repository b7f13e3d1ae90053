"""Demo case files (档案表): problem, life history and the 一生一策 plan per special student."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storage.cases.files import PHYSICAL, PLAN_AREAS
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
    plan_areas: dict[str, str] = field(default_factory=dict)
    """学业 / 心理 / 经济 / 就业 (CaseFile.plan_academic …); empty without a plan."""
    problems: dict[str, str] = field(default_factory=dict)
    """Category code → 问题描述 in that category's ledger column (CaseProblem)."""
    verification: str | None = None

    def row(self, ids: Mapping[str, int], *, now: datetime) -> dict[str, Any]:
        left_out = {"student", "counsellor", "plan_areas", "problems", "verification"}
        row = {k: v for k, v in vars(self).items() if k not in left_out}
        counsellor = ids[self.counsellor.code] if self.counsellor else None
        return {
            **row,
            **{area: self.plan_areas.get(area) for area in PLAN_AREAS},
            "student_id": ids[self.student.code],
            "counsellor_id": counsellor,
            "updated_at": now,
        }

    def problem_rows(self, ids: Mapping[str, int], *, now: datetime) -> list[dict[str, Any]]:
        """One CaseProblem row per category described (班主任核实情况 on 生理缺陷's)."""
        student = ids[self.student.code]
        return [
            {
                "student_id": student,
                "category_code": code,
                "description": text,
                "verification": self.verification if code == PHYSICAL else None,
                "updated_at": now,
                "updated_by": None,
            }
            for code, text in self.problems.items()
        ]


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
            plan_areas=self._areas() if with_plan else {},
            problems=self._problems(student),
            verification=self._verification(student),
        )

    def _areas(self) -> dict[str, str]:
        return {area: self.rng.choice(self.data.case_plan[area]) for area in PLAN_AREAS}

    def _problems(self, student: PersonSpec) -> dict[str, str]:
        """A description per category of the student's that has demo words."""
        return {
            code: self.rng.choice(self.data.cases[code].problem)
            for code in student.categories
            if code in self.data.cases
        }

    def _verification(self, student: PersonSpec) -> str | None:
        words = self.data.cases.get(PHYSICAL)
        if PHYSICAL not in student.categories or words is None or not words.verification:
            return None
        return self.rng.choice(words.verification)

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
