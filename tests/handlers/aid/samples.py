"""Sample contexts for the aid templates (joined into tests/messages/test_templates.py)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

_PROMPT = {
    "choices": ["国家助学金", "勤工助学"],
    "default": None,
    "optional": False,
    "rescue": True,
}
_STUDENT = SimpleNamespace(name="张三", class_name="计科2301")
_EVENT = {"day": date(2026, 12, 5), "name": "", "month": 12, "date": 5}
_POSTING = SimpleNamespace(
    id=3,
    name="2026年秋季国家助学金",
    kind="国家助学金",
    eligibility="家庭经济困难的本科生",
    deadline=date(2026, 12, 20),
    how_to_apply="填写申请表交到学院学工办",
)
_APPLICATION = SimpleNamespace(
    id=7, reason="家里突发变故", need="生活费补助", status="approved", note="已按一档发放"
)
_PLAIN = (
    "aid_students_only",
    "aid_help_usage",
    "aid_post_title",
    "aid_not_allowed",
    "aid_apply_title",
    "aid_apply_no_teacher",
    "aid_decide_usage",
    "aid_concern_not_allowed",
    "aid_concern_usage",
    "role_psych_committee",
    "role_dorm_head",
)
_ASKS = (
    "aid_ask_name",
    "aid_ask_kind",
    "aid_ask_eligibility",
    "aid_ask_deadline",
    "aid_ask_how",
    "aid_ask_reason",
    "aid_ask_need",
)

AID_SAMPLES: dict[str, dict[str, Any]] = {
    **{key: {} for key in _PLAIN},
    **{key: _PROMPT for key in _ASKS},
    "aid_psych": {"hotline": "400-161-9995", "booking": "", "events": [_EVENT]},
    "aid_psych_event": {"hotline": "400-161-9995", "event": _EVENT},
    "aid_help_no_teacher": {"hotline": "400-161-9995"},
    "aid_help_notice": {"student": _STUDENT, "message": "最近压力很大"},
    "aid_help_sent": {"teacher": "王老师", "hotline": "400-161-9995", "cut": 0},
    "aid_bad_deadline": {"given": "下个月", "passed": False},
    "aid_published": {
        "posting": _POSTING,
        "scope": {"everyone": False, "college": "计算机学院"},
        "days": 3,
    },
    "aid_list": {"postings": [_POSTING], "more": 0},
    "aid_posting": {"posting": _POSTING, "closed": False},
    "aid_no_such_posting": {"number": "9"},
    "aid_deadline_reminder": {"posting": _POSTING, "days": 3},
    "aid_apply_notice": {"application": _APPLICATION, "student": _STUDENT},
    "aid_apply_sent": {"teacher": "王老师"},
    "aid_no_such_application": {"number": 7},
    "aid_already_decided": {"application": _APPLICATION},
    "aid_decided": {"application": _APPLICATION, "student": _STUDENT},
    "aid_decision_notice": {"application": _APPLICATION, "teacher": "王老师"},
    "aid_concern_no_match": {"token": "张三", "several": False},
    "aid_concern_no_teacher": {"name": "张三"},
    "aid_concern_notice": {"student": _STUDENT, "reporter": _STUDENT, "text": "总是一个人"},
    "aid_concern_sent": {"name": "张三", "crisis": True},
}
