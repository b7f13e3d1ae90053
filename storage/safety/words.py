"""The default crisis-word list, from data/safety.toml."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources


@cache
def default_crisis_words() -> tuple[str, ...]:
    text = resources.files("storage").joinpath("data/safety.toml").read_text("utf-8")
    return tuple(str(word) for word in tomllib.loads(text)["crisis_words"])
