"""Run Alembic migrations programmatically (`carebot db upgrade`, the release process)."""

from __future__ import annotations

import re
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError

_RELATIVE = re.compile(r"[+-]\d+$")  # +1, head-1: resolved against the database's revision


class UnknownRevisionError(Exception):
    """`revision` names no migration; `known` lists those that exist, oldest first."""

    def __init__(self, revision: str, known: list[str]) -> None:
        super().__init__(f"unknown revision {revision!r}")
        self.revision = revision
        self.known = known


def alembic_config(url: str) -> Config:
    ini = resources.files("storage").joinpath("alembic.ini")
    config = Config(str(ini))
    config.set_main_option(
        "script_location", str(resources.files("storage").joinpath("migrations"))
    )
    config.attributes["url"] = url
    return config


def check_revision(revision: str) -> None:
    """Refuse a revision that names no migration, before anything touches the database."""
    if _RELATIVE.search(revision):
        return
    try:
        _scripts().revision_map.get_revisions(revision)
    except RevisionError:
        raise _unknown(revision) from None


def upgrade(url: str, revision: str = "head") -> None:
    try:
        command.upgrade(alembic_config(url), revision)
    except CommandError as exc:
        if isinstance(exc.__cause__, RevisionError):  # a relative step past either end
            raise _unknown(revision) from exc
        raise
    except AssertionError as exc:
        # Alembic 1.x asserts instead of raising RevisionError when a relative step (head-9)
        # goes below the first migration; it does so before running any migration.
        if _RELATIVE.search(revision):
            raise _unknown(revision) from exc
        raise


def head() -> str | None:
    """The newest migration's revision."""
    return _scripts().get_current_head()


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(""))


def _unknown(revision: str) -> UnknownRevisionError:
    known = [script.revision for script in _scripts().walk_revisions()]
    return UnknownRevisionError(revision, known[::-1])
