"""Who may publish, push, apply and read survey results; a posting's text reaches markdown
channels escaped."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.channels.dingtalk.messages import robot_messages
from handlers.access import rules
from handlers.careers.push import posting_message
from storage.models import JobPosting, PersonKind, Role


@pytest.mark.parametrize(
    ("roles", "publish"),
    [
        ({Role.CAREER_GUIDANCE}, True),
        ({Role.SCHOOL_ADMIN}, True),
        ({Role.COLLEGE_ADMIN}, True),
        ({Role.COUNSELLOR}, False),
        ({Role.ACADEMIC_MENTOR}, False),
        ({Role.STUDENT, Role.PEER_MENTOR}, False),
    ],
)
def test_who_publishes_postings(roles: set[str], publish: bool) -> None:
    assert rules.may_publish_jobs(frozenset(roles)) is publish


def test_a_college_admin_pushes_only_their_own_postings_within_their_college() -> None:
    admin = frozenset({Role.COLLEGE_ADMIN})
    assert rules.may_push_job(admin, published_it=True)
    assert not rules.may_push_job(admin, published_it=False)
    assert rules.may_push_job(frozenset({Role.CAREER_GUIDANCE}), published_it=False)
    assert rules.job_push_scope(admin, college="文学院").college == "文学院"
    assert rules.job_push_scope(admin, college=None).nobody
    assert rules.job_push_scope(frozenset({Role.CAREER_GUIDANCE}), college=None).everyone


def test_only_students_apply_and_only_the_sender_or_officers_read_results() -> None:
    assert rules.may_apply_for_job(PersonKind.STUDENT)
    assert not rules.may_apply_for_job(PersonKind.STAFF)
    assert rules.may_see_survey_results(frozenset({Role.COUNSELLOR}), sent_it=True)
    assert not rules.may_see_survey_results(frozenset({Role.COUNSELLOR}), sent_it=False)
    assert rules.may_see_survey_results(frozenset({Role.CAREER_GUIDANCE}), sent_it=False)


def test_a_posting_s_link_and_text_are_escaped_on_a_markdown_channel() -> None:
    posting = JobPosting(
        id=7,
        title="**急招** 测试",
        employer="[点我](https://evil.example)",
        place="杭州",
        deadline=date(2026, 12, 20),
        how_to_apply="<a href='x'>投递</a>",
        link="https://example.com/a_b_c?x=[1]",
        created_at=datetime(2026, 11, 23, tzinfo=UTC),
    )

    [card] = robot_messages(posting_message(posting), secret="s")

    shown = card.param["text"]
    assert "**急招**" not in shown and "[点我](" not in shown and "<a href" not in shown
    assert "急招" in shown and "点我" in shown
