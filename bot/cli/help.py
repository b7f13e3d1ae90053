"""The help texts of `carebot`: one table, messages/templates/cli/cli_help.j2."""

from __future__ import annotations

from messages.render import render


def help_for(topic: str) -> str:
    """The help of `topic`: a command as typed (`db upgrade`), then an option or argument."""
    return render("cli_help", topic=topic)
