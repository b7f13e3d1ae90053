"""The reports commands (exports, statistics), joined into the registry by
handlers/conversation/commands.py; their errands are joined by handlers/errands.py."""

from __future__ import annotations

from handlers.conversation.command import Command
from handlers.conversation.form_model import Form
from handlers.reports import exports_commands, stats_commands

COMMANDS: tuple[Command, ...] = (*exports_commands.COMMANDS, *stats_commands.COMMANDS)
FORMS: tuple[Form, ...] = ()
