"""CLI commands for the demo (filled in by its own change)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the demo commands to the main CLI."""
