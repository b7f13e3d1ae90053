"""Render user-facing texts: one jinja2 template per message key, StrictUndefined.

Templates live in folders by feature (templates/<feature>/<key>.j2) while the key stays the
file name, so a caller says `render("digest")` and an include says `{% include "_choices.j2" %}`
wherever either file lives. jinja2's loaders address templates by path; the small index below
maps each key to its file once, and refuses two files with one key.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from jinja2 import Environment, FunctionLoader, StrictUndefined, Template

SUFFIX = ".j2"


def _walk(folder: Traversable) -> list[Traversable]:
    found: list[Traversable] = []
    for entry in folder.iterdir():
        if entry.is_dir():
            found.extend(_walk(entry))
        elif entry.name.endswith(SUFFIX):
            found.append(entry)
    return found


@cache
def _index() -> dict[str, Traversable]:
    """Template file name → file, over every feature folder."""
    index: dict[str, Traversable] = {}
    for entry in _walk(resources.files("messages").joinpath("templates")):
        if entry.name in index:
            raise RuntimeError(f"two message templates are named {entry.name}")
        index[entry.name] = entry
    return index


def _source(name: str) -> tuple[str, str, Callable[[], bool]] | None:
    entry = _index().get(name)
    if entry is None:
        return None
    return entry.read_text("utf-8"), name, lambda: True


@cache
def _environment() -> Environment:
    return Environment(
        loader=FunctionLoader(_source),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # templates ship with the code; no stat() per message
    )


def render(key: str, **context: Any) -> str:
    """The text for message `key` (templates/<feature>/<key>.j2), stripped of outer blank lines."""
    if not context:
        return _fixed(key)
    return _template(key).render(**context).strip()


@cache
def _template(key: str) -> Template:
    """Templates ship with the code and never change while it runs (jinja2's own cache takes a
    lock and a weak reference per look-up, on every message)."""
    return _environment().get_template(f"{key}{SUFFIX}")


@cache
def _fixed(key: str) -> str:
    """A template rendered without context (a button label, a form's title) is always the same
    text: templates read nothing but their context."""
    return _template(key).render().strip()


def template_keys() -> list[str]:
    """Every message key; partials (names starting with _) are included by others."""
    return sorted(n.removesuffix(SUFFIX) for n in _index() if not n.startswith("_"))
