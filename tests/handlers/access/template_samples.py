"""Sample contexts of the access templates (registered in tests/messages/test_templates.py)."""

from __future__ import annotations

from typing import Any

ACCESS_SAMPLES: dict[str, dict[str, Any]] = {
    "access_table": {
        "roles": ["学生", "辅导员"],
        "rows": [{"action": "view_basic", "scopes": [0, 1]}],
        "seats": ["学工教师：辅导员、班主任"],
    },
    "access_seat_holders": {"seat": "学工教师", "roles": ["辅导员", "班主任"]},
}
