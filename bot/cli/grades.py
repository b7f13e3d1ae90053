"""`carebot grades`: Grades (成绩): the import that feeds academic warnings."""

from __future__ import annotations

import typer

grades_app = typer.Typer(no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Attach the grades commands to the main CLI."""
    app.add_typer(grades_app, name="grades")
