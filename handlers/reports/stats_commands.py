"""The stats commands and the long work they ask for (joined by handlers/reports/commands.py)."""

from __future__ import annotations

from handlers.context import Errand
from handlers.conversation.command import Command

COMMANDS: tuple[Command, ...] = ()
ERRANDS: dict[str, Errand] = {}
NAMES: dict[str, str] = {}
"""Template key naming each errand for its failure message (handlers/errands.failed)."""
