"""The careers commands and forms, joined into the registry by handlers/conversation/commands.py
and into the router's forms by handlers/conversation/router.py."""

from __future__ import annotations

from handlers.careers import browse, publish, push, survey, survey_form
from handlers.conversation.command import Command
from handlers.conversation.form_model import Form

COMMANDS: tuple[Command, ...] = (
    Command(publish.start, words=frozenset({"发布岗位"}), starts_form=True),
    Command(push.push_command, prefix="推送岗位", button=publish.PUSH_BUTTON),
    Command(browse.my_applications, words=frozenset({"我的报名"})),
    Command(browse.apply, prefix="报名", button=push.APPLY_BUTTON),
    Command(browse.list_jobs, words=frozenset({"岗位"}), prefix="岗位"),
    Command(survey.send, prefix="发起调查"),
    Command(survey.take, prefix="参加调查", button=survey.START_BUTTON, starts_form=True),
    Command(survey.show_results, prefix="调查结果"),
    Command(survey.remind, prefix="调查催办"),
)
FORMS: tuple[Form, ...] = (publish.FORM, *survey_form.FORMS.values())
