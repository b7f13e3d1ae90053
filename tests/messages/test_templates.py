"""Every message template renders with a sample context and StrictUndefined."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from jinja2 import UndefinedError

from messages.render import render, template_keys

PERSON = SimpleNamespace(name="张三", code="2023000001", college="计算机学院")
SAMPLES: dict[str, dict[str, Any]] = {
    "help": {"name": "李老师", "sections": ["counsellor", "student"]},
    "internal_error": {},
    "not_understood": {"name": "李老师"},
    "unknown_user": {},
    "whoami": {"person": PERSON, "roles": ["辅导员"]},
    **{
        f"role_{role}": {}
        for role in (
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
