"""Sample contexts for the careers templates (joined into tests/messages/test_templates.py)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

POSTING = SimpleNamespace(
    id=3,
    title="软件测试工程师",
    employer="星辰科技",
    place="杭州",
    salary="8000元/月",
    deadline=date(2026, 12, 20),
    how_to_apply="投递简历到 hr@example.com",
    link="https://example.com/jobs/3",
)
SURVEY = SimpleNamespace(id=2, deadline=date(2026, 12, 7))
RESULTS = SimpleNamespace(total=40, answered=31)
LEFT = {"no_account": 2, "unsubscribed": 0, "graduated": 1}
PUSHED = SimpleNamespace(queued=12, unsubscribed=1, no_account=2)
ASK = {"choices": [], "default": None, "optional": True, "rescue": False, "values": {}}
ROWS = [{"posting": POSTING, "mine": True, "open": False}]

CAREERS_SAMPLES: dict[str, dict[str, Any]] = {
    **{
        f"careers_ask_{name}": ASK
        for name in ("title", "employer", "place", "salary", "majors", "deadline", "how", "link")
    },
    **{
        key: {}
        for key in (
            "careers_not_allowed",
            "careers_post_title",
            "careers_published_title",
            "careers_push_button",
            "careers_posting_title",
            "careers_apply_button",
            "careers_students_only",
            "careers_survey_title",
            "careers_survey_not_allowed",
            "careers_survey_start_button",
            "careers_survey_not_yours",
            "careers_survey_export_suffix",
        )
    },
    "careers_bad_deadline": {"given": "下个月", "passed": False},
    "careers_bad_link": {"given": "javascript:alert(1)"},
    "careers_published": {"posting": POSTING, "majors": ["软件工程"]},
    "careers_no_such_posting": {"number": "9"},
    "careers_push_closed": {"posting": POSTING},
    "careers_pushed": {"posting": POSTING, "pushed": PUSHED, "again": False},
    "careers_posting": {"posting": POSTING, "majors": [], "applied": False, "closed": False},
    "careers_list": {"rows": ROWS, "more": 2},
    "careers_apply_closed": {"posting": POSTING},
    "careers_applied": {"posting": POSTING, "again": False},
    "careers_my_applications": {"rows": ROWS},
    "careers_applied_notice": {"posting": POSTING, "name": "张三", "class_name": "计科2301"},
    "careers_import_problem": {"what": "missing_columns", "columns": ["截止日期"]},
    "careers_import_refused": {"count": 3},
    "careers_import_no_publisher": {"code": "J001"},
    "careers_import_done": {"count": 2, "sheet": "岗位", "ignored": ["序号"], "dry_run": False},
    "careers_cli_help": {"topic": "jobs import"},
    **{
        f"careers_survey_q{n}": {**ASK, "values": {f"_q{n}": "毕业后你打算？"}} for n in range(1, 9)
    },
    "careers_survey_unknown": {"given": "体检", "names": ["就业意向", "满意度"]},
    "careers_survey_empty": {"left": LEFT},
    "careers_survey_invite": {"title": "毕业去向意向调查", "survey": SURVEY},
    "careers_survey_sent": {
        "survey": SURVEY,
        "title": "毕业去向意向调查",
        "count": 38,
        "left": LEFT,
    },
    "careers_survey_closed": {"title": "毕业去向意向调查"},
    "careers_survey_already": {"title": "毕业去向意向调查"},
    "careers_survey_thanks": {"title": "毕业去向意向调查"},
    "careers_survey_no_results": {"number": "2"},
    "careers_survey_results": {
        "survey": SURVEY,
        "title": "毕业去向意向调查",
        "results": RESULTS,
        "questions": [{"label": "毕业去向", "counts": [("就业", 20), ("考研", 11)]}],
        "waiting": [SimpleNamespace(name="李四", class_name="计科2301")],
        "more": 8,
    },
    "careers_survey_export_word": {"what": "answered"},
    "careers_survey_reminder": {"title": "毕业去向意向调查", "survey": SURVEY},
    "careers_survey_reminded": {"survey": SURVEY, "count": 9},
    "careers_survey_remind_too_soon": {"survey": SURVEY},
    "careers_survey_export_missing": {"number": 9},
    "careers_survey_exported": {"number": 2, "file": "调查.xlsx", "answered": 31},
}
