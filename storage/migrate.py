"""Run Alembic migrations programmatically (`carebot db upgrade`, the release process)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config


def alembic_config(url: str) -> Config:
    ini = resources.files("storage").joinpath("alembic.ini")
    config = Config(str(ini))
    config.set_main_option(
        "script_location", str(resources.files("storage").joinpath("migrations"))
    )
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
