"""The policy file's [case_file] section: defaults, overrides, and wrong values refused."""

from __future__ import annotations

from importlib import resources

import pytest

from handlers.policy.load import load_policy, parse_policy
from handlers.policy.model import CaseFilePolicy, PolicyError

SHIPPED = resources.files("storage").joinpath("data/policy.toml").read_text("utf-8")
_START = SHIPPED.index("[case_file]")
_END = SHIPPED.find("\n[", _START)
SECTION = SHIPPED[_START : _END + 1 if _END >= 0 else len(SHIPPED)]
"""The shipped [case_file] table alone, up to the next table."""


def _with(section: str) -> str:
    return SHIPPED.replace(SECTION, section)


def test_the_shipped_default_is_three_good_over_thirty_days() -> None:
    assert load_policy().case_file == CaseFilePolicy(True, 3, 30, ("明显好转", "有所改善"))


def test_a_section_may_change_the_run_or_turn_it_off() -> None:
    policy = parse_policy(
        _with("[case_file]\ngood_run = 4\nrun_days = 60\nsuggest_close = false\n")
    )
    assert policy.case_file == CaseFilePolicy(False, 4, 60, ("明显好转", "有所改善"))
    assert parse_policy(_with("")).case_file == CaseFilePolicy()


def test_wrong_values_are_named() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(_with('[case_file]\ngood_run = 0\ngood_effects = ["很好"]\nsoon = 1\n'))
    problems = "\n".join(caught.value.problems)
    assert "case_file" in problems and '"很好"' in problems and "good_run" in problems
    assert "soon" in problems
