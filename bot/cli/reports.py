"""`carebot stats` and `carebot report yearly`: statistics and the yearly summary."""

from __future__ import annotations

import typer

report_app = typer.Typer(no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Attach the statistics commands to the main CLI."""
    app.add_typer(report_app, name="report")
