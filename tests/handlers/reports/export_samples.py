"""Sample contexts for this feature's templates (tests/messages/test_templates.py)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

_LOG = SimpleNamespace(kind="谈心谈话", summary="了解近况", follow_up="下周再聊")

EXPORT_SAMPLES: dict[str, dict[str, Any]] = {
    "export_watermark": {"name": "周院长", "code": "A001", "at": "2026-11-23 10:00"},
    "export_page_codes": {},
    "export_date": {"day": date(2026, 11, 2), "full": True},
    "export_problem": {"kind": "经济困难", "description": "单亲，收入低"},
    "export_denied": {},
    "export_work_name": {},
    "export_student_not_found": {"token": "张三"},
    "export_casefile_usage": {},
    "export_casefile_ambiguous": {"names": ["张三（计科2301） S001", "张三（软工2302） S010"]},
    "export_casefile_queued": {"name": "张三"},
    "export_casefile_ready": {"name": "张三"},
    "export_casefile_file_name": {"name": "张三", "code": "S001"},
    "export_casefile_title": {},
    "export_casefile_teacher": {
        "teacher": "王芳",
        "start": "2026年9月1日",
        "end": "2026年11月23日",
    },
    "export_casefile_problems": {
        "problems": [("生理缺陷", "先天性心脏病", "已核实病历")],
        "kind": "经济困难",
        "description": "单亲",
    },
    "export_casefile_plan": {"areas": [("plan_academic", "每周辅导一次")]},
    "export_casefile_record": {
        "number": 1,
        "when": "2026-09-20 10:00",
        "place": "办公室",
        "effect": "保持稳定",
    },
    "export_casefile_content": {"log": _LOG, "author": "王芳"},
    "export_casefile_closing": {
        "closed_on": None,
        "closed": False,
        "pending": True,
        "proposer": "李老师",
        "reason": "明显好转",
        "suggested": False,
    },
    "export_cli_casefile_done": {"name": "张三", "file": "档案.docx"},
    "export_cli_suffix": {"suffix": ".xlsx"},
    "export_cli_unknown_person": {"code": "A001"},
    "ledger_title": {"year": 2026},
    "ledger_date_line": {"day": date(2026, 11, 23)},
    "ledger_footer": {"part": "note"},
    "ledger_heading": {"code": "groups", "name": "", "names": ["孤儿", "残疾"]},
    "ledger_groups_words": {"what": "tab"},
    "ledger_measures": {
        "plans": [("academic", "每周辅导一次")],
        "counts": [("谈心谈话", 5)],
        "approved": 1,
        "declined": 1,
    },
    "ledger_helpers": {"team": [("学业导师", "李老师", "13800000002")]},
    "ledger_effect": {"latest": "有所改善", "on": "11月2日", "count": 3, "trend": "better"},
    "ledger_remark": {"closed_on": "2026年10月15日", "key_attention": True},
    "ledger_usage": {},
    "ledger_unknown_semester": {},
    "ledger_unknown_college": {"college": "文学院"},
    "ledger_queued": {"semester": "2026-2027学年第一学期", "college": "计算机学院"},
    "ledger_ready": {"semester": "2026-2027学年第一学期", "college": None, "count": 12},
    "ledger_file_name": {"semester": "2026-2027学年第一学期", "college": "计算机学院"},
    "ledger_work_name": {},
    "ledger_cli_help": {"topic": "ledger export"},
    "ledger_cli_exported": {"file": "台账.xlsx", "count": 12},
}
