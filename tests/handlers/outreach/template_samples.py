"""Sample contexts for the outreach templates (tests/messages/test_templates.py renders each)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from handlers.outreach.filters import FilterError
from handlers.outreach.line import LineError
from storage.outreach.receipts import Status

PROMPT = {"choices": ["通知", "岗位"], "default": None, "optional": True, "rescue": False,
          "values": {}}  # fmt: skip
BROADCAST = SimpleNamespace(
    id=7,
    topic="通知",
    needs_receipt=True,
    urgent=True,
    confidential=True,
    needs_approval=True,
    recipient_count=620,
    status="queued",
)
STATUS = Status(
    total=3,
    by_state={"sent": 2, "failed": 1},
    errors=[("81013", 1)],
    read=1,
    confirmed=1,
    unconfirmed=["张三（机械2301）"],
    unconfirmed_count=2,
)
LEFT = {"no_account": 2, "unsubscribed": 1, "graduated": 3}

OUTREACH_SAMPLES: dict[str, dict[str, Any]] = {
    "outreach_topics": {
        "given": "八卦", "topics": ("通知", "岗位"), "off": ["岗位"], "mandatory": "通知",
        "on": False,
    },
    "outreach_topic_mandatory": {"topic": "通知"},
    "outreach_topic_switched": {"topic": "岗位", "on": False},
    "outreach_notice_title": {"topic": "资助", "reminder": True},
    "outreach_ack_button": {},
    "outreach_notice_text": {"title": "【通知】", "body": "周五开会"},
    "outreach_no_permission": {},
    "outreach_empty_audience": {"left": LEFT},
    "outreach_filter_error": {"error": FilterError("bad_value", "类别", "特困", ("孤儿",))},
    "outreach_filter_unknown_values": {"rows": [("学院", ["机械工程学院", "计算机学院"])]},
    "outreach_bad_variables": {"names": ["电话"], "valid": ["姓名", "学院"]},
    "outreach_too_long": {"limit": 600},
    "outreach_unknown_numbers": {"numbers": ["2023019999"]},
    "outreach_time_past": {"at": "2026-11-01 10:00", "example": "2026-11-02 09:00"},
    "outreach_time_quiet": {"at": "2026-11-24 23:00", "end": "2026-11-25 07:30"},
    "outreach_preview": {
        "broadcast": BROADCAST, "count": 620, "left": LEFT, "example_title": "【通知】",
        "example": "张三同学，周五开会", "send_at": "2026-11-24 10:00", "quiet_end": None,
        "words": ["低保"], "approval_over": 500, "confirm": "仍然发送",
    },
    "outreach_nothing_to_confirm": {},
    "outreach_guard_needs_override": {"words": ["低保", "困难"]},
    "outreach_awaiting_approval": {"broadcast": BROADCAST, "asked": 2},
    "outreach_approval_request": {"broadcast": BROADCAST, "sender": "王芳", "excerpt": "周五开会"},
    "outreach_scheduled": {"broadcast": BROADCAST, "at": "2026-11-24 10:00"},
    "outreach_queued": {"broadcast": BROADCAST, "count": 3},
    "outreach_nothing_to_approve": {"number": 7},
    "outreach_cancelled": {"broadcast": BROADCAST},
    "outreach_nothing_to_cancel": {},
    "outreach_ack_nothing": {},
    "outreach_ack_recalled": {},
    "outreach_approve_own": {},
    "outreach_ack_thanks": {"again": False},
    "outreach_not_found": {"number": 7},
    "outreach_status": {"broadcast": BROADCAST, "status": STATUS, "at": "2026-11-24 10:00"},
    "outreach_remind_not_applicable": {"broadcast": BROADCAST},
    "outreach_remind_too_soon": {"at": "11-24 10:00"},
    "outreach_reminder_body": {"content": "周五开会"},
    "outreach_reminded": {"broadcast": BROADCAST, "count": 2},
    "outreach_history": {"rows": [{"broadcast": BROADCAST, "at": "11-23 09:00", "status": STATUS}]},
    "outreach_line_error": {"error": LineError("bad_time", "明天"), "example": "2026-11-02 09:00"},
    "outreach_form_title": {},
    "outreach_report": {"broadcast": BROADCAST, "status": STATUS, "kind": "day"},
    "outreach_recall_refused": {"broadcast": BROADCAST},
    "outreach_recalled": {"broadcast": BROADCAST, "stopped": 2},
    "outreach_cli_help": {"topic": "broadcast --dry-run"},
    "outreach_cli_no_sender": {"code": "T9"},
    "ask_outreach_audience": PROMPT,
    "ask_outreach_content": PROMPT,
    "ask_outreach_topic": PROMPT,
    "ask_outreach_receipt": PROMPT,
}  # fmt: skip
