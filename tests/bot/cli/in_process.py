"""`carebot ARGS` run through `bot.cli.main.main` in this process, as a subprocess would run it.

A fresh `carebot` process costs seconds of imports on a slow machine; the CLI tests that call
it many times call the same entry point here instead. It runs in a thread of its own (the
commands call asyncio.run, and the calling test may be inside an event loop) with the
environment and the standard streams swapped for the call; tests in one worker run one at a
time, so nothing else sees the swap."""

from __future__ import annotations

import io
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout

from bot.cli import main as cli


def carebot(*args: object, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Exit code, stdout and stderr of `carebot ARGS` under exactly the environment `env`."""
    argv = [str(arg) for arg in args]
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_call, argv, env).result(timeout=300)


def _call(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = _exit_code(argv)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess(["carebot", *argv], code, out.getvalue(), err.getvalue())


def _exit_code(argv: list[str]) -> int:
    try:
        cli.main(argv)
    except SystemExit as ended:
        if ended.code is None or isinstance(ended.code, int):
            return ended.code or 0
        print(ended.code)
        return 1
    return 0
