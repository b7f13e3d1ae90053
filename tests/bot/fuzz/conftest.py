"""The fuzz tests' summary line: how many cases each ran (their `fuzz_*` properties)."""

from __future__ import annotations

from collections import Counter

import pytest
from _pytest.terminal import TerminalReporter


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    totals: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    for reports in terminalreporter.stats.values():
        for report in reports:
            if not isinstance(report, pytest.TestReport):
                continue
            for name, value in report.user_properties:
                if name.startswith("fuzz_") and (report.nodeid, name) not in seen:
                    seen.add((report.nodeid, name))
                    totals[name] += int(value)
    if totals:
        parts = ", ".join(f"{name.removeprefix('fuzz_')} {n}" for name, n in sorted(totals.items()))
        terminalreporter.write_line(f"fuzz: {parts}")
