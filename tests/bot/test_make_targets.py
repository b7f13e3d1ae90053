"""README's `make test` works on a bare machine: it makes sure chromium is there first."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_make_test_installs_chromium_before_running_the_suite() -> None:
    plan = subprocess.run(
        ["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()

    chromium = next(i for i, line in enumerate(plan) if ".ci/chromium" in line)
    pytest = next(i for i, line in enumerate(plan) if "pytest" in line)
    assert chromium < pytest


def _chromium_step(path: str, *, as_nobody: bool) -> subprocess.CompletedProcess[str]:
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if as_nobody else []
    return subprocess.run(  # the script on stdin: nobody may not be able to read the clone
        [*prefix, "bash", "-s"],
        input=(ROOT / ".ci" / "chromium").read_text(),
        cwd="/",
        env={"PATH": os.environ["PATH"], "CAREBOT_CHROMIUM": path},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_chromium_step_does_nothing_when_chromium_is_there() -> None:
    done = _chromium_step(sys.executable, as_nobody=False)

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root")
def test_without_root_the_chromium_step_says_what_to_install_and_fails() -> None:
    done = _chromium_step("/nonexistent/chromium", as_nobody=True)

    assert done.returncode == 1
    assert "apt-get install -y chromium" in done.stderr and done.stderr.count("\n") == 1


def test_ci_has_no_install_step_of_its_own() -> None:
    assert "apt-get" not in (ROOT / ".ci" / "run").read_text()
