"""`carebot ledger export` and `carebot casefile export`: the official files, for admins."""

from __future__ import annotations

import typer

ledger_app = typer.Typer(no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Attach the ledger commands to the main CLI (casefile export sits on casefile_app)."""
    app.add_typer(ledger_app, name="ledger")
