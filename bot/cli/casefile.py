"""`carebot casefile`: the bulk import (the export registers itself, bot/cli/exports.py)."""

from __future__ import annotations

import typer

casefile_app = typer.Typer(no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Attach the casefile commands to the main CLI."""
    app.add_typer(casefile_app, name="casefile")
