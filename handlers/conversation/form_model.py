"""What a form is made of (steps, choices), the draft it fills, and what one input does to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from handlers.access.identity import Identity
from handlers.context import Context
from handlers.conversation import answers
from handlers.envelopes import Outbound

StepKind = Literal["choice", "text", "when", "yesno"]
CONFIRM = "confirm"
Outcome = Literal["kept", "saved", "cancelled", "done"]
ChoiceLists = Mapping[str, Sequence["Choice"]]


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str
    aliases: tuple[str, ...] = ()
    note: str = ""  # shown after the label in the question, never stored with the answer

    def dump(self) -> list[Any]:
        return [self.value, self.label, list(self.aliases), self.note]

    @classmethod
    def load(cls, item: list[Any]) -> Choice:
        value, label, aliases, note = item
        return cls(str(value), str(label), tuple(aliases), str(note))


@dataclass(frozen=True, slots=True)
class State:
    """A draft: answered values (with display labels), misses, and the path taken. The engine
    never changes a State in place: each input gives a new one."""

    values: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    misses: int = 0
    offered: dict[str, list[list[Any]]] = field(default_factory=dict)
    """The open choice step's list as it was shown (`Choice.dump`): an answer is read against
    what the person saw, and the list is not loaded again for it."""

    @classmethod
    def load(cls, data: dict[str, Any]) -> State:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    @classmethod
    def prefilled(cls, prefill: Mapping[str, tuple[Any, str]]) -> State:
        """A draft whose values are already known (from a quick log or a reminder's button)."""
        values = {name: value for name, (value, _) in prefill.items()}
        return cls(values=values, labels={name: label for name, (_, label) in prefill.items()})

    def dump(self) -> dict[str, Any]:
        return {
            "values": self.values,
            "labels": self.labels,
            "history": self.history,
            "misses": self.misses,
            "offered": self.offered,
        }

    def kept_choices(self, step: str) -> list[Choice] | None:
        """The list shown for `step`, when it is the one kept."""
        kept = self.offered.get(step)
        return None if kept is None else [Choice.load(item) for item in kept]


@dataclass(frozen=True, slots=True)
class Known:
    """What a step's default is worked out from: the answers so far and the time."""

    values: Mapping[str, Any]
    now: datetime
    tz: ZoneInfo


def _always(values: Mapping[str, Any]) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    kind: StepKind
    prompt: str
    label: str
    optional: bool = False
    min_len: int = 2
    max_len: int = 500
    applies: Callable[[Mapping[str, Any]], bool] = _always
    default: Callable[[Known], answers.Parsed | None] | None = None


@dataclass(frozen=True, slots=True)
class Run:
    """What a form's I/O callbacks see: the handler context, the person and the draft."""

    ctx: Context
    who: Identity
    state: State


@dataclass(frozen=True, slots=True)
class Form:
    name: str
    title: str
    steps: tuple[Step, ...]
    choices: Callable[[Run, Step], Awaitable[Sequence[Choice]]]
    """Loads one choice step's list (a mentor's students come from the database)."""
    complete: Callable[[Run], Awaitable[list[Outbound]]]
    """The finish action after 确认 (the visit log stored), in the transaction of the step."""

    def step(self, name: str) -> Step:
        return next(step for step in self.steps if step.name == name)

    def applies(self, name: str, values: Mapping[str, Any]) -> bool:
        """Whether `name` is one of this form's steps and applies to these values."""
        return any(step.name == name and step.applies(values) for step in self.steps)

    def shown(self, values: Mapping[str, Any]) -> list[Step]:
        """Steps that apply to these values, in order (the numbering of 修改 N)."""
        return [step for step in self.steps if step.applies(values)]


@dataclass(frozen=True, slots=True)
class Answer:
    """One message or button press, as the person sent it."""

    text: str = ""
    button: str | None = None

    @property
    def word(self) -> str:
        return answers.word_of(self.button or self.text)


@dataclass(frozen=True, slots=True)
class Transition:
    """What one input does to a draft. `kept`: nothing to store (help, a refusal); `saved`:
    store `state` at `step`; `cancelled`: drop the draft; `done`: run the form's finish action
    and drop the draft. `step` is the open step (a step's name or CONFIRM), None once over."""

    outcome: Outcome
    step: str | None
    state: State
    replies: tuple[Outbound, ...] = ()

    @property
    def finished(self) -> bool:
        return self.outcome == "done"

    @property
    def dropped(self) -> bool:
        return self.outcome in ("cancelled", "done")
