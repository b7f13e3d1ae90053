"""Sample contexts for this feature's templates (tests/messages/test_templates.py)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from storage.people.categories import load_categories

STUDENT = SimpleNamespace(
    id=1,
    name="张三",
    code="2023000001",
    gender="男",
    class_name="计科2301",
    native_place="江西赣州",
    phone="13800000000",
)
TEACHER = SimpleNamespace(id=2, name="王芳")
CASE = SimpleNamespace(status="open", plan="1. 每周谈心")
CLOSURE = SimpleNamespace(id=3, reason="状况稳定", status="approved", decision_note="同意")
PROMPT: dict[str, Any] = {
    "choices": [],
    "default": "父亲务工收入不稳定",
    "optional": True,
    "rescue": True,
    "values": {"student": "张三"},
}
POLICY = SimpleNamespace(good_run=3, run_days=30, good_effects=("明显好转", "有所改善"))
VALUES = {"life_history": "父母务农", "plan_academic": "每周辅导"}
PROBLEMS = [
    {
        "name": "家庭经济困难",
        "column": "家庭经济状况和存在问题",
        "text": "低保",
        "verification": False,
    },
    {"name": "生理缺陷", "column": "学生病史", "text": None, "verification": "已核实"},
]

ASKS = [f"case_ask_problem_{category.code}" for category in load_categories()] + [
    "case_ask_verification",
    "case_ask_life_history",
    "case_ask_plan_academic",
    "case_ask_plan_psych",
    "case_ask_plan_financial",
    "case_ask_plan_employment",
]
PLAIN = (
    "case_approve_button",
    "case_reject_button",
    "case_close_title",
    "case_edit_problems",
    "case_edit_history",
    "case_edit_plan",
    "case_edit_usage",
    "case_usage",
    "case_propose_usage",
    "case_reopen_usage",
    "case_no_permission",
    "case_survey_none",
    "case_problems_title",
    "case_history_title",
    "case_plan_title",
    "case_survey_title",
)
ABOUT_STUDENT = (
    "case_title",
    "case_saved",
    "case_closed_read_only",
    "case_already_closed",
    "case_not_closed",
    "case_reopened",
    "case_survey_saved",
)

CASES_SAMPLES: dict[str, dict[str, Any]] = {
    **{key: dict(PROMPT) for key in ASKS},
    **{key: {} for key in PLAIN},
    **{key: {"student": STUDENT} for key in ABOUT_STUDENT},
    "case_not_in_scope": {"token": "张三"},
    "case_field_label": {"field": "life_history"},
    "case_basic": {
        "student": STUDENT,
        "age": 20,
        "team": {"student_affairs": "王芳", "academic_mentor": "刘导师"},
        "case": CASE,
        "opened": date(2026, 9, 10),
        "closed": None,
        "pending": CLOSURE,
        "editor": True,
    },
    "case_section_problems": {"problems": PROBLEMS, "values": VALUES, "case": CASE},
    "case_section_history": {"problems": PROBLEMS, "values": VALUES, "case": CASE},
    "case_section_plan": {"problems": PROBLEMS, "values": VALUES, "case": CASE},
    "case_survey_done": {"total": 5},
    "case_survey_student": {"student": STUDENT, "done": 1, "total": 5, "intro": True},
    "case_reason_too_long": {"most": 200},
    "case_close_pending": {"closure": CLOSURE, "student": STUDENT},
    "case_close_proposed_self": {"closure": CLOSURE, "student": STUDENT},
    "case_close_proposed": {"student": STUDENT, "decider": TEACHER},
    "case_close_request": {"closure": CLOSURE, "student": STUDENT, "proposer": TEACHER},
    "case_no_such_proposal": {"number": 3},
    "case_close_decision_notice": {"closure": CLOSURE, "student": STUDENT, "by": TEACHER},
    "case_close_decided": {"closure": CLOSURE, "student": STUDENT},
    "case_close_suggestion": {"student": STUDENT, "policy": POLICY},
    "case_import_problem": {"what": "no_category", "category": "生理缺陷"},
    "case_import_done": {"count": 2, "sheet": "档案", "ignored": ["备注"], "dry_run": False},
    "case_import_refused": {"count": 2},
    "case_cli_help": {"topic": "import"},
    "case_template_written": {"path": "模板.xlsx"},
}
