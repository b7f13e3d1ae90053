"""The demo's word lists (data/demo.toml) as typed, read-only values."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

MALE = "男"
FEMALE = "女"


@dataclass(frozen=True)
class Word:
    """A name part and its pinyin, which builds messenger accounts."""

    text: str
    pinyin: str


@dataclass(frozen=True)
class Major:
    name: str
    abbr: str


@dataclass(frozen=True)
class College:
    number: int
    name: str
    male_ratio: float
    majors: tuple[Major, ...]


@dataclass(frozen=True)
class Cadence:
    """How often one team seat makes one kind of contact, in days."""

    seat: str
    kind: str
    every: tuple[float, float]
    share: float = 1.0
    categories: frozenset[str] = frozenset()
    final_year: bool = False


@dataclass(frozen=True)
class CaseText:
    problem: tuple[str, ...]
    history: tuple[str, ...]
    measures: tuple[str, ...]
    verification: tuple[str, ...] = ()
    """班主任核实情况 (the 生理缺陷 ledger sheet only)."""


@dataclass(frozen=True)
class SummaryText:
    """A summary pattern and the phrase lists its fields are drawn from."""

    pattern: str
    parts: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class DemoData:
    separator: str
    clause_separator: str
    pronoun: Mapping[str, str]
    surnames: tuple[Word, ...]
    given: Mapping[str, tuple[Word, ...]]
    dorm_area: Mapping[str, str]
    dorm_pattern: str
    native_places: tuple[str, ...]
    ethnic_places: tuple[str, ...]
    courses: tuple[str, ...]
    colleges: tuple[College, ...]
    category_weight: Mapping[str, int]
    companions: Mapping[str, tuple[str, ...]]
    cases: Mapping[str, CaseText]
    case_plan: Mapping[str, tuple[str, ...]]
    """Phrases for each area of the plan (plan_academic, plan_psych, …), by field name."""
    focus: Mapping[str, tuple[str, ...]]
    places: Mapping[str, tuple[str, ...]]
    effects: Mapping[str, int]
    summaries: Mapping[str, SummaryText]
    peer_summaries: Mapping[str, SummaryText]
    follow_up: tuple[str, ...]
    risk_follow_up: tuple[str, ...]
    risk_description: tuple[str, ...]
    risk_kinds: tuple[str, ...]
    risk_effect: str
    risk_recent_days: int
    cadences: tuple[Cadence, ...]


def _words(items: list[str]) -> tuple[Word, ...]:
    return tuple(Word(*item.split()) for item in items)


def _college(number: int, raw: dict[str, Any]) -> College:
    majors = tuple(Major(*item.split()) for item in raw["majors"])
    return College(number, raw["name"], float(raw["male_ratio"]), majors)


def _cadence(raw: dict[str, Any]) -> Cadence:
    low, high = raw["every"]
    return Cadence(
        seat=raw["seat"],
        kind=raw["kind"],
        every=(float(low), float(high)),
        share=float(raw.get("share", 1.0)),
        categories=frozenset(raw.get("categories", ())),
        final_year=bool(raw.get("final_year", False)),
    )


def _summaries(raw: dict[str, Any]) -> dict[str, SummaryText]:
    return {
        kind: SummaryText(
            pattern=table["pattern"],
            parts={k: tuple(v) for k, v in table.items() if k != "pattern"},
        )
        for kind, table in raw.items()
    }


def _tuples(raw: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {key: tuple(value) for key, value in raw.items()}


@cache
def demo_data() -> DemoData:
    text = resources.files("storage").joinpath("data/demo.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    names, campus = raw["names"], raw["campus"]
    return DemoData(
        separator=raw["list_separator"],
        clause_separator=raw["clause_separator"],
        pronoun=raw["pronoun"],
        surnames=_words(names["surnames"]),
        given={MALE: _words(names["male"]), FEMALE: _words(names["female"])},
        dorm_area=campus["dorm_area"],
        dorm_pattern=campus["dorm_pattern"],
        native_places=tuple(campus["native_places"]),
        ethnic_places=tuple(campus["ethnic_places"]),
        courses=tuple(campus["courses"]),
        colleges=tuple(_college(n, c) for n, c in enumerate(raw["college"], start=1)),
        category_weight=raw["category"]["weight"],
        companions=_tuples(raw["category"]["companions"]),
        cases={code: CaseText(**_tuples(table)) for code, table in raw["case"].items()},
        case_plan=_tuples(raw["case_plan"]),
        focus=_tuples(raw["focus"]),
        places=_tuples(raw["place"]),
        effects=raw["effect"],
        summaries=_summaries(raw["summary"]),
        peer_summaries=_summaries(raw["peer_summary"]),
        follow_up=tuple(raw["follow_up"]["normal"]),
        risk_follow_up=tuple(raw["follow_up"]["risk"]),
        risk_description=tuple(raw["risk"]["description"]),
        risk_kinds=tuple(raw["risk"]["kinds"]),
        risk_effect=raw["risk"]["effect"],
        risk_recent_days=int(raw["risk"]["recent_days"]),
        cadences=tuple(_cadence(c) for c in raw["cadence"]),
    )
