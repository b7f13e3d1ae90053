"""The academic-warning commands, joined into the registry by handlers/conversation/commands.py."""

from __future__ import annotations

from handlers.conversation.command import Command
from handlers.conversation.form_model import Form

COMMANDS: tuple[Command, ...] = ()
FORMS: tuple[Form, ...] = ()
