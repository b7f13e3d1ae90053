"""Every message template renders with a sample context and StrictUndefined."""

from __future__ import annotations

from datetime import UTC, date, datetime
from importlib import resources
from types import SimpleNamespace
from typing import Any

import pytest
from jinja2 import UndefinedError

from messages.render import render, template_keys
from tests.bot.cli.audit_samples import AUDIT_SAMPLES
from tests.bot.cli.trust_samples import TRUST_SAMPLES
from tests.handlers.academic.template_samples import ACADEMIC_SAMPLES
from tests.handlers.access.template_samples import ACCESS_SAMPLES
from tests.handlers.aid.samples import AID_SAMPLES
from tests.handlers.careers.template_samples import CAREERS_SAMPLES
from tests.handlers.cases.template_samples import CASES_SAMPLES
from tests.handlers.outreach.template_samples import OUTREACH_SAMPLES
from tests.handlers.reports.export_samples import EXPORT_SAMPLES
from tests.handlers.reports.stats_samples import STATS_SAMPLES

PERSON = SimpleNamespace(
    id=1,
    name="张三",
    code="2023000001",
    college="计算机学院",
    class_name="计科2301",
    dorm="东区3栋201",
    key_attention=True,
    kind="student",
)
LOG = SimpleNamespace(kind="谈心谈话", effect="保持稳定", risk=True, summary="情绪稳定")
ALERT = SimpleNamespace(source="visit_log", detail="提到了轻生的念头", level=2)
PROMPT = {
    "choices": ["谈心谈话", "走访寝室"],
    "default": "办公室",
    "optional": True,
    "rescue": True,
    "values": {"student": "张三（计科2301）"},
}
ROLES = (
    "academic_mentor",
    "counsellor",
    "class_teacher",
    "college_admin",
    "school_admin",
    "psych_center",
    "career_guidance",
    "peer_mentor",
    "student",
)
PLAIN = (
    "internal_error",
    "unknown_user",
    "visit_title",
    "weekly_title",
    "form_first_step",
    "form_not_skippable",
    "form_skipped_value",
    "button_confirm",
    "button_cancel",
    "button_yes",
    "button_no",
    "button_handled",
    "draft_expired",
    "hint_choice",
    "hint_ambiguous",
    "hint_yesno",
    "hint_when_unparsed",
    "hint_when_future",
    "hint_when_too_old",
    "visit_risk_reported",
    "visit_no_students",
    "no_permission",
    "my_students_none",
    "view_usage",
    "student_ambiguous_code",
    "weekly_none",
    "weekly_done_marker",
    "alert_handled",
    "crisis_mentor",
    "card_done",
    "seat_academic_mentor",
    "seat_student_affairs",
    "seat_peer_mentor",
)
ASKS = (
    "ask_student",
    "ask_kind",
    "ask_when",
    "ask_place",
    "ask_summary",
    "ask_effect",
    "ask_risk",
    "ask_risk_detail",
    "ask_follow_up",
    "ask_weekly_student",
    "ask_weekly_status",
    "ask_weekly_note",
)
STEP = {"step": "内容摘要", "low": 2, "high": 500}
SEMESTER = SimpleNamespace(
    name="2026-2027学年第一学期",
    ledger_deadline=date(2026, 10, 15),
    survey_weeks=SimpleNamespace(start=date(2026, 9, 7), end=date(2026, 9, 20)),
)
REMINDER_ROWS = [
    {
        "name": "张三",
        "class_name": "计科2301",
        "key": True,
        "entries": [
            {"title": "谈心谈话", "period": None, "hidden": False, "overdue": 4,
             "deadline": date(2026, 11, 19), "nudge": True},
            {"title": "重点时段谈话", "period": "国庆节前", "hidden": False, "overdue": -3,
             "deadline": date(2026, 9, 30), "nudge": False},
        ],
    },
    {
        "name": "李四",
        "class_name": None,
        "key": False,
        "entries": [
            {"title": "心理异常学生陪伴", "period": None, "hidden": True, "overdue": 0,
             "deadline": date(2026, 11, 23), "nudge": False},
        ],
    },
]  # fmt: skip
DAYS = SimpleNamespace(start=date(2026, 9, 24), end=date(2026, 9, 30))
POLICY = SimpleNamespace(
    rules=[
        SimpleNamespace(
            title="谈心谈话", students="special", category=None, responsible="team",
            remind="student_affairs", vacation=False, kinds=["谈心谈话", "心理疏导"],
            cadence=SimpleNamespace(every_days=15, times=None, per=None),
        ),
        SimpleNamespace(
            title="走访寝室", students="special", category="orphan", responsible="seat",
            remind="student_affairs", vacation=True, kinds=["走访寝室"],
            cadence=SimpleNamespace(every_days=None, times=2, per="month"),
        ),
    ],
    key_periods=SimpleNamespace(
        title="重点时段谈话", students="key_attention", category=None, responsible="team",
        remind="academic_mentor", holiday_min_days=3, days_before=7, return_week_days=7,
        kinds=["谈心谈话"],
    ),
    semesters=[
        SimpleNamespace(
            name="2026-2027学年第一学期", start=date(2026, 9, 7), end=date(2027, 1, 17),
            exam_weeks=[DAYS], vacations=[DAYS], survey_weeks=DAYS,
            ledger_deadline=date(2026, 10, 15),
        )
    ],
    schedule=SimpleNamespace(
        working_days_only=True, digest_time=datetime(2026, 9, 1, 8, 30),
        quiet_hours=SimpleNamespace(
            start=datetime(2026, 9, 1, 21, 30), end=datetime(2026, 9, 1, 7, 30)
        ),
    ),
    escalation=SimpleNamespace(
        nudge_after_days=3, admin_summary_after_days=7, key_attention_nudge_after_days=1,
        key_attention_admin_summary_after_days=3,
    ),
)  # fmt: skip
DEMO = SimpleNamespace(
    colleges=["计算机学院", "文学院"], students=300, special=60, key_attention=12, staff=40,
    peer_mentors=10, team_gaps=3, case_files=60, plans_missing=5, visit_logs=700, risk_logs=7,
    well_known=[
        SimpleNamespace(key="counsellor", code="T0002", name="王芳", college="计算机学院",
                        students=25),
        SimpleNamespace(key="student", code="2025010001", name="张三", college=None, students=0),
    ],
)  # fmt: skip
SAMPLES: dict[str, dict[str, Any]] = {
    **{key: {} for key in PLAIN},
    **{f"role_{role}": {} for role in ROLES},
    **{key: PROMPT for key in ASKS},
    **ACCESS_SAMPLES,
    **AID_SAMPLES,
    **CAREERS_SAMPLES,
    **OUTREACH_SAMPLES,
    **ACADEMIC_SAMPLES,
    **CASES_SAMPLES,
    **EXPORT_SAMPLES,
    **STATS_SAMPLES,
    **AUDIT_SAMPLES,
    **TRUST_SAMPLES,
    "help": {"name": "李老师", "sections": "【帮扶老师】"},
    "help_sections": {"sections": ["counsellor", "student"]},
    "not_understood": {"name": "李老师"},
    "ratelimit_notice": {"per_minute": 20, "hotline": "400-161-9995"},
    "whoami": {"person": PERSON, "roles": ["辅导员"]},
    "form_intro": {"title": "帮扶记录"},
    "form_cancelled": {"title": "帮扶记录"},
    "form_help": {"at_confirm": True},
    "form_confirm": {"title": "帮扶记录", "rows": [("学生", "张三"), ("类型", "谈心谈话")]},
    "form_in_progress": {"title": "帮扶记录"},
    "draft_waiting": {"title": "帮扶记录"},
    "hint_confirm": {"count": 8},
    "hint_too_short": STEP,
    "hint_too_long": STEP,
    "visit_saved": {"student": "张三", "minutes": 10},
    "visit_kind_not_allowed": {"kind": "心理疏导"},
    "visit_student_not_yours": {"token": "钱七"},
    "my_students": {
        "every": 15,
        "rows": [
            {
                "n": 1,
                "label": "张三",
                "dorm": "东区",
                "seat": "学业导师",
                "days": 16,
                "due": True,
                "key": True,
            },
            {
                "n": 2,
                "label": "李四",
                "dorm": None,
                "seat": "学工教师",
                "days": None,
                "due": True,
                "key": False,
            },
        ],
    },
    "view_basic": {"student": PERSON, "logs": [{"when": "11-20 10:00", "log": LOG}]},
    "view_full": {
        "student": PERSON,
        "categories": ["孤儿"],
        "team": {"academic_mentor": "王老师"},
        "plan": "每周谈心",
        "logs": [{"when": "11-20 10:00", "log": LOG, "author": "王老师"}],
    },
    "student_ambiguous": {"names": ["李四（计科2301）", "李四（软工2302）"]},
    "student_not_found": {"token": "王五"},
    "student_not_in_scope": {"token": "王五"},
    "undo_nothing": {"minutes": 10},
    "undo_done": {"student": "张三", "kind": "谈心谈话"},
    "weekly_saved": {"student": "张三", "contacts": 2, "remaining": 1, "danger": True},
    "weekly_not_yours": {"student": "张三（计科2301）", "danger": True},
    "alert_title": {"level": 2, "new": True},
    "alert": {
        "alert": ALERT,
        "student": PERSON,
        "raiser": PERSON,
        "context": PERSON,
        "when": datetime(2026, 11, 23, tzinfo=UTC).strftime("%m月%d日 %H:%M"),
        "latest": "我已经吞了一整瓶安眠药",
        "count": 2,
    },
    "alert_follow_up": {
        "alert": ALERT,
        "note": SimpleNamespace(source="message", text="我已经吞了一整瓶安眠药"),
        "student": PERSON,
        "raiser": PERSON,
        "context": PERSON,
        "when": "11月23日 09:01",
        "first": "11月23日 09:00",
    },
    "alert_not_yours": {},
    "remind_not_allowed": {},
    "visit_not_on_team": {"student": "张三（计科2301）", "risk": True},
    "alert_already_handled": {"by": PERSON},
    "crisis_student": {"hotline": "400-161-9995"},
    "digest": {
        "name": "王老师",
        "part": 1,
        "offset": 0,
        "rows": REMINDER_ROWS,
        "total": 3,
        "rest": 2,
        "last": True,
    },
    "digest_title": {"part": 1, "parts": 2},
    "digest_button": {"name": "张三", "class_name": "计科2301"},
    "todo": {"name": "王老师", "rows": REMINDER_ROWS, "total": 3, "offset": 0},
    "todo_none": {},
    "remind_sent": {"count": 2},
    "remind_queued": {},
    "work_failed": {"what": "今日提醒"},
    "work_send_digests": {},
    "work_unnamed": {},
    "cli_serve_refused": {"host": "0.0.0.0"},
    "cli_data_key_mismatch": {},
    "cli_database_not_migrated": {},
    "cli_unknown_revision": {"revision": "nonsense", "known": ["0001", "0002"]},
    "cli_aborted": {},
    "cli_db_upgraded": {"current": "0003", "head": "0004"},
    "cli_dingtalk_not_configured": {},
    "cli_outbox_sent": {"count": 3},
    "cli_outbox_status": {"rows": [("wecom", "failed", 2)], "errors": [("81013", 2)]},
    "cli_path_problem": {"path": "/data/名单", "problem": "IsADirectoryError"},
    "cli_policy_findings": {"file": "policy.toml", "problems": ["schedule：…"]},
    "cli_policy_problem": {
        "what": "day",
        "where": "semester[1]",
        "name": "start",
        "value": '"2026-09-31"',
        "line": None,
        "column": None,
    },
    "cli_remind_sent": {"count": 2},
    "cli_settings_problem": {
        "problem": SimpleNamespace(variable="CAREBOT_DATA_KEY", reason="missing", details={}),
        "data_exists": True,
    },
    "cli_simulator_url": {"url": "http://127.0.0.1:8000/sim"},
    "cli_demo_loaded": {"summary": DEMO, "seed": 7, "kinds": "谈心谈话 300", "url": "http://sim"},
    "cli_demo_no_schema": {"error": "no such table: person"},
    "cli_demo_not_empty": {},
    "cli_demo_skipped": {"url": "http://127.0.0.1:8000/sim"},
    "cli_help": {"topic": "roster import --dry-run"},
    "cli_help_labels": {"label": "OPTIONS_PANEL_TITLE"},
    "cli_policy_shipped": {},
    "cli_policy_summary": {
        "policy": POLICY,
        "source": "policy.toml",
        "today": date(2026, 11, 23),
        "semester": POLICY.semesters[0],
        "upcoming": False,
        "periods": [SimpleNamespace(name="国庆节前", span=DAYS, reason="国庆节", cause=DAYS)],
        "categories": {"orphan": "孤儿"},
        "seats": {"student_affairs": "学工教师", "academic_mentor": "学业导师"},
        "notes": ["2027 年的法定节假日尚未公布，按周末和策略文件中的假日计算"],
    },
    "cli_unknown_timezone": {"name": "Mars/Olympus"},
    "cli_usage_error": {
        "kind": "bad_value",
        "name": "--today",
        "value": "xx",
        "expected": "date",
        "formats": "YYYY-MM-DD",
        "usage": "用法：carebot policy check [选项]",
        "command": "carebot policy check",
    },
    "roster_sheets_read": {"sheets": [("学生", 3), ("教职工", 0)]},
    "roster_sheets_ignored": {"sheets": ["说明", "学生信息"], "expected": ["学生", "教职工"]},
    "roster_nothing_imported": {
        "file": "名单.xlsx",
        "sheets": [("学生信息", None), ("教职工", 0)],
        "workbook": True,
        "expected": ["学生", "教职工"],
    },
    "roster_template_exists": {"file": "名单模板.xlsx"},
    "roster_template_no_folder": {"folder": "/data/名单"},
    "roster_counts": {
        "kinds": [("学生", SimpleNamespace(created=1, updated=2, unchanged=3))],
        "changed": True,
    },
    "roster_outcome": {"refused": True, "count": 3, "dry_run": False},
    "roster_absent": {"kinds": [("学生", 2), ("教职工", 1)]},
    "roster_notes": {"notes": ["工作表「教职工」是隐藏的，已跳过"]},
    "roster_changes": {
        "people": [
            SimpleNamespace(
                kind="student",
                code="2023001",
                name="张三",
                fields=[
                    SimpleNamespace(column="学院", old="计算机学院", new=None, hidden=False),
                    SimpleNamespace(column="类别", old=None, new=None, hidden=True),
                ],
            )
        ],
        "kinds": {"student": "学生"},
        "more": 3,
    },
    "roster_roles": {
        "changes": [
            {
                "name": "王芳",
                "code": "T2",
                "new": False,
                "gained": ["学院管理员"],
                "lost": ["班主任"],
            }
        ]
    },
    "roster_roles_unconfirmed": {"people": ["王芳（T2）"], "roles": ["学院管理员"]},
    "roster_roles_confirm_needed": {"people": ["王芳（T2）"], "roles": ["学院管理员"]},
    "roster_cell": {"what": "bad_mobile", "value": "1380000111", "digits": 10},
    "roster_check": {"what": "leading_zeros", "code": "123", "where": "第3行", "other": "00123"},
    "roster_column": {"what": "unknown"},
    "roster_file": {"what": "unknown_kind", "student_key": "学号", "staff_key": "工号"},
    "roster_note": {"what": "merged_filled", "column": "学院", "ranges": "D2:D5"},
    "roster_place": {"what": "rows_total", "count": 3},
    "roster_template_notes": {
        "clear": "（清空）",
        "separators": ["、", ","],
        "categories": ["孤儿", "残疾"],
        "roles": ["辅导员"],
        "student_roles": ["心理委员"],
    },
    "roster_template_suffix": {},
    "roster_template_written": {"file": "名单模板.xlsx"},
    "remind_survey": {"semester": SEMESTER, "survey": SEMESTER.survey_weeks},
    "remind_ledger": {"semester": SEMESTER, "college": "计算机学院", "days_left": 7},
    "remind_team_gaps": {
        "rows": [{"name": "张三", "class_name": "计科2301", "missing": ["学业导师", "朋辈导师"]}]
    },
    "remind_plan": {"students": [{"name": "张三", "class_name": "计科2301"}]},
    "remind_summary": {
        "college": "计算机学院",
        "days": 7,
        "key_days": 3,
        "rows": [
            {
                "teacher": "王老师",
                "count": 3,
                "students": [PERSON, {"name": "李四", "class_name": None}],
            }
        ],
    },
    "remind_summary_school": {
        "days": 7,
        "key_days": 3,
        "rows": [
            {"college": "计算机学院", "count": 6, "students": 4, "teachers": 2},
            {"college": None, "count": 1, "students": 1, "teachers": 1},
        ],
        "total": {"count": 7, "students": 5, "teachers": 3},
    },
}


def test_every_template_has_a_sample() -> None:
    assert sorted(SAMPLES) == template_keys()


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_template_renders_nonempty_chinese(key: str) -> None:
    rendered = render(key, **SAMPLES[key])

    assert rendered.strip()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in rendered)
    assert len(rendered.encode("utf-8")) <= 2048


def test_missing_variable_is_an_error() -> None:
    with pytest.raises(UndefinedError):
        render("not_understood")


def test_every_template_lives_in_a_feature_folder() -> None:
    root = resources.files("messages").joinpath("templates")
    loose = [entry.name for entry in root.iterdir() if entry.name.endswith(".j2")]
    assert loose == [], "put message templates in messages/templates/<feature>/"


def test_my_students_without_a_rolling_rule_names_no_cadence() -> None:
    assert "None" not in render("my_students", every=None, rows=[])
