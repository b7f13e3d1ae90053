"""The small-group rule: outside the reader's own scope, 1 or 2 students show as "<3"."""

from __future__ import annotations

import pytest

from storage.reports.stats_model import plotted, shown


@pytest.mark.parametrize(("count", "outside", "expected"), [
    (0, True, 0), (1, True, "<3"), (2, True, "<3"), (3, True, 3), (40, True, 40),
    (1, False, 1), (2, False, 2),
])  # fmt: skip
def test_counts_below_three_are_hidden_only_outside_the_scope(
    count: int, outside: bool, expected: int | str
) -> None:
    assert shown(count, outside_scope=outside) == expected


def test_a_chart_never_draws_a_hidden_count() -> None:
    assert plotted(2, outside_scope=True) is None
    assert plotted(2, outside_scope=False) == 2 and plotted(5, outside_scope=True) == 5
