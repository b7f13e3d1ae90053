"""`carebot ARGS` run through `bot.cli.main.main` in this process, as a subprocess would run it.

A fresh `carebot` process costs seconds of imports on a slow machine; the CLI tests that call
it many times call the same entry point here instead. It runs in a thread of its own (the
commands call asyncio.run, and the calling test may be inside an event loop) with what a new
process would start from swapped in for the call, and put back afterwards, so that no call
leaves anything behind for the next test (tests in one worker run one at a time, so nothing
else sees the swap):

- the environment is exactly `env`, sys.argv is the command line, stdin is empty (a pipe);
- stdout and stderr are captured (not terminals, as with `capture_output=True`);
- logging: a warning that no handler below the root takes reaches stderr, as Python's last
  resort handler prints it in a process; pytest's own handlers keep seeing the records (the
  check that no log line carries sensitive text still applies); whatever `bot.logs.configure`
  or anything else sets on a logger is undone after the call;
- warnings follow Python's default filters (and PYTHONWARNINGS) and are printed on stderr,
  not turned into errors by the suite's filterwarnings;
- typer's colour and width switches, which it reads from the environment when imported, are
  taken from `env`; the Chinese labels `bot.cli.usage.localise` writes into typer are put back;
- gc.freeze and the collector's thresholds (`carebot serve`, bot/heap.py) are undone; the
  asyncio policy is put back if changed.

Signal handlers cannot be installed from a thread other than the main one (signal.signal
raises), so a command that installs them (`serve`, `clock`) has to be tested as a process, as
must anything about the executable itself (exit on a signal, import-time side effects).
Unlike a process, an exception the entry point lets out is raised here, where a process would
print a traceback and exit 1: the test fails on it rather than perhaps passing on the code."""

from __future__ import annotations

import asyncio
import gc
import io
import logging
import os
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, redirect_stderr, redirect_stdout
from typing import Any

from typer import rich_utils

from bot.cli import main as cli
from bot.cli.usage import RICH_LABELS

# Loggers bot.logs.configure sets up: made here first, so their settings are put back too.
CONFIGURED_LOGGERS = ("httpx", "uvicorn", "uvicorn.error", "uvicorn.access")


def carebot(
    *args: object, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Exit code, stdout and stderr of `carebot ARGS` under exactly the environment `env`.
    A call still running after `timeout` seconds raises subprocess.TimeoutExpired."""
    argv = [str(arg) for arg in args]
    out, err = io.StringIO(), io.StringIO()
    ended: dict[str, Any] = {}

    def call() -> None:
        try:
            ended["code"] = _exit_code(argv)
        except BaseException as exc:  # handed to the calling thread, raised there
            ended["error"] = exc

    with _as_a_process(argv, env, out, err):
        thread = threading.Thread(target=call, name="carebot-in-process", daemon=True)
        thread.start()
        thread.join(timeout)
        if thread.is_alive():
            raise subprocess.TimeoutExpired(["carebot", *argv], timeout, out.getvalue())
    if "error" in ended:
        raise ended["error"]
    return subprocess.CompletedProcess(
        ["carebot", *argv], ended["code"], out.getvalue(), err.getvalue()
    )


def _exit_code(argv: list[str]) -> int:
    try:
        cli.main(argv)
    except SystemExit as ended:
        if ended.code is None or isinstance(ended.code, int):
            return ended.code or 0
        print(ended.code, file=sys.stderr)  # as Python does for sys.exit("text")
        return 1
    return 0


@contextmanager
def _as_a_process(
    argv: list[str], env: dict[str, str], out: io.StringIO, err: io.StringIO
) -> Iterator[None]:
    with ExitStack() as stack:
        stack.enter_context(_environment(env))
        stack.enter_context(_attribute(sys, "argv", ["carebot", *argv]))
        stack.enter_context(_attribute(sys, "stdin", io.StringIO("")))
        stack.enter_context(redirect_stdout(out))
        stack.enter_context(redirect_stderr(err))
        stack.enter_context(_logging())
        stack.enter_context(_warnings(env))
        stack.enter_context(_typer(env))
        stack.enter_context(_gc_and_asyncio())
        yield


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def _attribute(owner: object, name: str, value: object) -> Iterator[None]:
    saved = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, saved)


class _LastResort(logging.Handler):
    """Python's last resort handler: a warning or worse that no handler below the root takes
    is printed on stderr (the stderr of the moment: the call's), message only."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        if not _handled_below_root(record.name):
            sys.stderr.write(self.format(record) + "\n")


def _handled_below_root(name: str) -> bool:
    logger: logging.Logger | None = logging.getLogger(name)
    while logger is not None and logger is not logging.root:
        if logger.handlers:
            return True
        logger = logger.parent if logger.propagate else None
    return False


@contextmanager
def _logging() -> Iterator[None]:
    for name in CONFIGURED_LOGGERS:
        logging.getLogger(name)
    root = logging.getLogger()
    loggers = [root] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(lg, lg.level, list(lg.handlers), lg.propagate, lg.disabled) for lg in loggers]
    root.addHandler(_LastResort())
    try:
        yield
    finally:
        for logger, level, handlers, propagate, disabled in saved:
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.propagate, logger.disabled = propagate, disabled


@contextmanager
def _warnings(env: dict[str, str]) -> Iterator[None]:
    def show(message: Any, category: Any, filename: str, lineno: int, *_: Any) -> None:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno))

    with warnings.catch_warnings():
        warnings.resetwarnings()
        # A process's filters without -W: Python's defaults, PYTHONWARNINGS's ahead of them.
        warnings.simplefilter("ignore", ResourceWarning)
        warnings.simplefilter("ignore", ImportWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
        options = [o for o in env.get("PYTHONWARNINGS", "").split(",") if o]
        getattr(warnings, "_processoptions")(options)  # noqa: B009 - private, as -W uses it
        warnings.showwarning = show
        yield


@contextmanager
def _typer(env: dict[str, str]) -> Iterator[None]:
    """typer.rich_utils reads these from the environment at import; a process reads `env`."""
    width = env.get("TERMINAL_WIDTH")
    force = (
        True
        if env.get("GITHUB_ACTIONS") or env.get("FORCE_COLOR") or env.get("PY_COLORS")
        else None
    )
    if env.get("_TYPER_FORCE_DISABLE_TERMINAL"):
        force = False
    names = ("MAX_WIDTH", "FORCE_TERMINAL", *RICH_LABELS)
    saved = {name: getattr(rich_utils, name) for name in names}
    rich_utils.MAX_WIDTH = int(width) if width else None
    rich_utils.FORCE_TERMINAL = force
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(rich_utils, name, value)


@contextmanager
def _gc_and_asyncio() -> Iterator[None]:
    frozen, thresholds = gc.get_freeze_count(), gc.get_threshold()
    policy = asyncio.get_event_loop_policy()
    try:
        yield
    finally:
        if gc.get_freeze_count() > frozen:
            gc.unfreeze()
        gc.set_threshold(*thresholds)
        if asyncio.get_event_loop_policy() is not policy:
            asyncio.set_event_loop_policy(policy)
