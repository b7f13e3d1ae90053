"""Visit kinds, default places and the effect scale, from data/visit_kinds.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class VisitKind:
    name: str
    place: str
    peer: bool
    staff: bool


@cache
def _data() -> dict[str, object]:
    text = resources.files("storage").joinpath("data/visit_kinds.toml").read_text("utf-8")
    return tomllib.loads(text)


@cache  # the visit form asks on every step; the data file does not change while running
def visit_kinds() -> tuple[VisitKind, ...]:
    rows = _data()["kind"]
    assert isinstance(rows, list)
    return tuple(
        VisitKind(r["name"], r["place"], bool(r.get("peer", False)), bool(r.get("staff", True)))
        for r in rows
    )


@cache
def effects() -> tuple[str, ...]:
    values = _data()["effects"]
    assert isinstance(values, list)
    return tuple(str(v) for v in values)
