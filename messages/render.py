"""Render user-facing texts: one jinja2 template per message key, StrictUndefined."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("messages", "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # templates ship with the code; no stat() per message
    )


def render(key: str, **context: Any) -> str:
    """The text for message `key` (templates/<key>.j2), stripped of outer blank lines."""
    return _environment().get_template(f"{key}.j2").render(**context).strip()


def template_keys() -> list[str]:
    folder = resources.files("messages").joinpath("templates")
    names = (p.name for p in folder.iterdir())
    return sorted(n.removesuffix(".j2") for n in names if n.endswith(".j2") and n[0] != "_")
