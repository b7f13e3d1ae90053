"""Sample contexts for the key rotation, retention and backup templates
(tests/messages/test_templates.py)."""

from __future__ import annotations

from typing import Any

from storage.retention import Archivable
from storage.rotation import Rotation, TableRotation

_TABLES = [TableRotation("person", rotated=210, current=3, batches=1), TableRotation("visit_log")]
_UNREADABLE = [TableRotation("case_file", rotated=2, unreadable=1, batches=1)]
_STUDENTS = [Archivable(id=1, code="2011000001", name="李毕业", graduation_year=2015)]

TRUST_SAMPLES: dict[str, dict[str, Any]] = {
    "keys_rotate_no_previous": {},
    "keys_rotate_progress": {"table": _TABLES[0]},
    "keys_rotate_done": {"rotation": Rotation(_TABLES + _UNREADABLE)},
    "retention_applied": {"students": _STUDENTS, "dry_run": True, "years": 5, "last_year": 2021},
    "backup_done": {"path": "/var/backups/carebot.bak", "size": 634880},
    "backup_restored": {"path": "/var/backups/carebot.bak", "state": "mismatch"},
    "backup_failed": {"problem": "no_tool", "detail": "pg_dump"},
}
