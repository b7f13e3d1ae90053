"""The privacy guard's word list, read from data/privacy_words.toml."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources


@cache
def revealing_words() -> tuple[str, ...]:
    text = resources.files("storage").joinpath("data/privacy_words.toml").read_text("utf-8")
    words = tomllib.loads(text)["words"]
    return tuple(str(word) for word in words)


def words_in(content: str) -> list[str]:
    """The listed words that occur in `content`, in list order."""
    return [word for word in revealing_words() if word in content]
