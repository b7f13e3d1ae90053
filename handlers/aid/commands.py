"""The aid commands and forms, joined into the registry by handlers/conversation/commands.py
and into the router's forms by handlers/conversation/router.py."""

from __future__ import annotations

from handlers.aid import apply, browse, concern, help_request, psych, publish
from handlers.conversation.command import Command
from handlers.conversation.form_model import Form

# `interrupts_form=False`: mid-form these are left to the form. 「心理」 and 「资助」 pick the
# visit kinds 心理疏导 and 经济资助, and a summary may well begin with 同意 or 资助.
COMMANDS: tuple[Command, ...] = (
    Command(
        psych.psych_info, words=frozenset({"心理", "心理咨询", "心理热线"}), interrupts_form=False
    ),
    Command(
        help_request.ask_for_help, words=frozenset({"求助"}), prefix="求助", interrupts_form=False
    ),
    Command(publish.start, words=frozenset({"发布资助"}), starts_form=True),
    Command(apply.start, words=frozenset({"申请补助"}), starts_form=True),
    Command(apply.decline, prefix="不同意", interrupts_form=False),
    Command(apply.approve, prefix="同意", interrupts_form=False),
    Command(
        concern.report,
        words=frozenset({"上报"}),
        prefix="上报",
        interrupts_form=False,
        screens_crisis=True,
    ),
    Command(browse.list_aid, words=frozenset({"资助"}), prefix="资助", interrupts_form=False),
)
FORMS: tuple[Form, ...] = (publish.FORM, apply.FORM)
