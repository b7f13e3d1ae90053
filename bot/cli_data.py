"""CLI commands that load data: roster import and template, demo university."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the data commands to the main CLI."""
