"""Sample contexts for this feature's templates (tests/messages/test_templates.py)."""

from __future__ import annotations

from typing import Any

ACADEMIC_SAMPLES: dict[str, dict[str, Any]] = {}
