"""Sample contexts for this feature's templates (tests/messages/test_templates.py)."""

from __future__ import annotations

from typing import Any

_COURSE = {"name": "高等数学", "code": "MATH101", "degree": True, "credits": "4"}
_STANDING: dict[str, Any] = {
    "gpa": "2.10",
    "required": "24",
    "earned": "18",
    "failed_credits": "6",
    "failed": [_COURSE, {**_COURSE, "name": "大学物理", "degree": False, "credits": "2"}],
    "retakes": [{**_COURSE, "name": "大学英语", "degree": False}],
}
_RETAKE = {
    "student_code": "2025000001",
    "student_name": "张三",
    "class_name": "计科2301",
    "course_code": "MATH101",
    "course_name": "高等数学",
    "nature": "学位课",
    "credits": "4",
    "department": "数学学院",
    "teacher": "钱老师",
}

ACADEMIC_SAMPLES: dict[str, dict[str, Any]] = {
    "grades_cli_help": {"topic": "grades import FILE"},
    "grades_import_problem": {"what": "bad_choice", "value": "专业课", "options": ["必修", "选修"]},
    "grades_import_refused": {"count": 3},
    "grades_import_done": {
        "dry_run": False,
        "sheet": "成绩",
        "rows": 120,
        "stored": 40,
        "skipped": 80,
        "new": 2,
        "raised": 1,
        "told": 6,
    },
    "grades_retakes": {
        "semester": "2026-2027学年第一学期",
        "college": "计算机学院",
        "rows": [_RETAKE],
    },
    "grades_unknown_semester": {"value": "2030-秋"},
    "academic_warning_title": {"level": "红色", "raised": True},
    "academic_warning_button": {},
    "academic_warning_notice": {
        "name": "张三",
        "class_name": "计科2301",
        "semester": "2026-2027学年第一学期",
        "level": "黄色",
        "raised": False,
        **_STANDING,
    },
    "academic_ledger_text": {"level": "黄色", **_STANDING},
}
