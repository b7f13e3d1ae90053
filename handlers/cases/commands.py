"""The case-file commands and forms, joined into the registry by handlers/conversation/commands.py
and into the router's forms by handlers/conversation/router.py."""

from __future__ import annotations

from handlers.cases import closing, sections, survey, view
from handlers.conversation.command import Command
from handlers.conversation.form_model import Form

COMMANDS: tuple[Command, ...] = (
    # 修改档案 before 档案 would not matter (prefixes must start the text), but reads clearer
    Command(view.edit, prefix="修改档案", starts_form=True),
    Command(view.edit_button, button=view.EDIT_BUTTON, starts_form=True),
    Command(view.show, prefix="档案"),
    Command(survey.start, words=frozenset({"摸排"}), starts_form=True),
    Command(closing.propose, prefix="建议撤销建档"),
    Command(closing.reopen, prefix="恢复建档"),
    # 批准 N: a closing proposal first, else the broadcast approval (handlers/outreach)
    Command(closing.approve, prefix="批准"),
    Command(closing.approve_button, button=closing.APPROVE_BUTTON),
    Command(closing.reject, prefix="驳回"),
    Command(closing.reject_button, button=closing.REJECT_BUTTON),
)
FORMS: tuple[Form, ...] = (*sections.SECTION_FORMS.values(), survey.FORM)
