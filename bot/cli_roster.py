"""CLI commands for the roster (filled in by its own change)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the roster commands to the main CLI."""
