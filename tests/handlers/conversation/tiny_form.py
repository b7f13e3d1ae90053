"""A tiny form for the engine's tests: a choice, an optional time with a default, an optional
place, a yes/no risk and a description that applies only when there is a risk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.context import HandlerConfig
from handlers.conversation.answers import Parsed
from handlers.conversation.forms import Choice, Form, Known, Run, Step
from handlers.envelopes import Outbound
from tests.fakes.clock import SHANGHAI

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
TZ = ZoneInfo("Asia/Shanghai")
CONFIG = HandlerConfig(tz=TZ, hotline="400-161-9995")
KINDS = [
    Choice("谈心谈话", "谈心谈话", aliases=("谈心",)),
    Choice("走访", "宿舍走访", note="（到寝室）"),
]
STAMPED = "2026-11-26T10:00:00+08:00"
SAVED: list[dict[str, Any]] = []  # what the form's finish action stored


def _stamp(known: Known) -> Parsed:
    return Parsed(known.now.isoformat(), "刚才")


def _risky(values: Mapping[str, Any]) -> bool:
    return values.get("risk") is True


def make_form(kinds: Sequence[Choice]) -> Form:
    async def choices(run: Run, step: Step) -> Sequence[Choice]:
        assert step.name == "kind"
        return kinds

    async def complete(run: Run) -> list[Outbound]:
        SAVED.append(dict(run.state.values))
        return [Outbound(kind="text", text="已保存")]

    return Form(
        name="tiny",
        title="visit_title",
        steps=(
            Step("kind", "choice", "ask_kind", "类型"),
            Step("when", "when", "ask_when", "时间", optional=True, default=_stamp),
            Step("place", "text", "ask_place", "地点", optional=True, min_len=1, max_len=8),
            Step("risk", "yesno", "ask_risk", "安全风险"),
            Step(
                "detail",
                "text",
                "ask_risk_detail",
                "风险描述",
                min_len=2,
                max_len=6,
                applies=_risky,
            ),
        ),
        choices=choices,
        complete=complete,
    )


FORM = make_form(KINDS)
CHOICES = {"kind": KINDS}
