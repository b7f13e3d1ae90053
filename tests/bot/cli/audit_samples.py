"""Sample contexts for the audit and privacy templates (tests/messages/test_templates.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from storage.audit_query import AuditRow

ROWS = [
    AuditRow(datetime(2026, 11, 1, 1, tzinfo=UTC), "export_ledger", "T100", "王老师", None, None,
             "wecom", None, "college=计算机学院"),
    AuditRow(datetime(2026, 11, 2, 1, tzinfo=UTC), "unknown_account", None, None, None, None,
             "wecom", "zz9", None),
]  # fmt: skip

AUDIT_SAMPLES: dict[str, dict[str, Any]] = {
    "audit_bad_format": {"formats": ("text", "json", "csv")},
    "audit_bad_date": {"value": "11/02"},
    "audit_unknown_code": {"option": "--student", "code": "S404"},
    "audit_entries": {"rows": ROWS, "tz": ZoneInfo("Asia/Shanghai")},
    "audit_app_role": {"role": "carebot_app", "outcome": "created", "error": None},
    "privacy_notice": {},
}
