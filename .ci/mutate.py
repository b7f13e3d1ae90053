"""Mutation testing of the safety-critical modules (issue 9): `make mutate`, never part of CI.

mutmut 3 does the work: it copies the code to mutants/, puts every mutation of a function
behind a trampoline, maps each function to the tests that call it (one run of the test
selection in pyproject's [tool.mutmut]) and then runs only those tests, `-x`, per mutant.
This script runs it one module at a time (two cores are shared), keeps to the functions in
scope (a channel's reply formatting and response timing are not its checks), and prints a
killed/survived score per module, per group and in total. The source tree is never changed,
so Ctrl-C leaves nothing to restore.

mutmut mutates code inside functions only. The encrypted columns are declarations, so a
second pass does for them what mutmut cannot: one column at a time, `EncryptedText` becomes
plain `Text` in the copy under mutants/, and the encryption tests must fail.

    python .ci/mutate.py                 # everything: 1½–2 h on one core, MUTATE_JOBS=2 halves it
    python .ci/mutate.py handlers/access/rules.py --survivors
    python .ci/mutate.py --report        # scores of the last run, nothing re-run
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
BIN = Path(sys.executable).parent
MODELS = "storage/models/__init__.py"
COLUMN_TESTS = ("tests/storage/test_crypto.py",)
KILLED = {"killed", "timeout", "caught by type check"}


@dataclass(frozen=True)
class Module:
    group: str
    path: str
    only: tuple[str, ...] = ()  # mangled function names in scope; empty: the whole module

    @property
    def dotted(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".")

    def patterns(self) -> list[str]:
        names = self.only or ("*",)
        return [f"{self.dotted}.{name}__mutmut_*" for name in names]


_ENVELOPE = (
    *("x_parse_xml", "x__utf8", "x__fields", "x__cdata", "xǁ_Plaintextǁ*"),
    *("xǁEnvelopeǁ__init__", "xǁEnvelopeǁecho", "xǁEnvelopeǁopen", "xǁEnvelopeǁ_decrypt"),
)
_CALLBACK = (
    *("x_to_inbound", "x__field", "x__event_key", "x__fresh", "x_read_body"),
    *("xǁWeComCallbackǁ__init__", "xǁWeComCallbackǁquery"),
)
# Left out of the channels: Envelope.seal/text_reply/button_update, _tag, _reply_xml (reply
# formatting) and WeComCallback.answer_*/_outcome/_let_go/_keep/_sealed/drain, _follow,
# _finished, empty (response timing and sending), covered by the window and sender tests.
MODULES = (
    Module("access", "handlers/access/rules.py"),
    Module("forms/answers", "handlers/conversation/answers.py"),
    Module("forms/answers", "handlers/conversation/forms.py"),
    Module("forms/answers", "handlers/conversation/form_replies.py"),
    Module("encrypted columns", "storage/crypto.py"),
    Module("channels", "bot/channels/wecom/envelope.py", _ENVELOPE),
    Module("channels", "bot/channels/wecom/callback.py", _CALLBACK),
    Module("channels", "bot/channels/dingtalk/inbound.py"),
    Module("outbox", "bot/outbox/sender.py"),
    Module("outbox", "storage/messaging/outbox.py"),
    Module("safety/alerts", "handlers/safety/screening.py"),
    Module("safety/alerts", "handlers/safety/alerts.py"),
    Module("safety/alerts", "handlers/safety/alert_cards.py"),
    Module("safety/alerts", "storage/safety/alerts.py"),
)  # fmt: skip


def run_mutmut(module: Module, jobs: int) -> None:
    MUTANTS.mkdir(exist_ok=True)
    log = MUTANTS / f"{module.dotted}.log"
    command = [str(BIN / "mutmut"), "run", "--max-children", str(jobs), *module.patterns()]
    print(f"== {module.path}", flush=True)
    with log.open("w") as out:
        done = subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        sys.exit(f"mutmut failed on {module.path} (exit {done.returncode}); see {log}")


def statuses(module: Module) -> dict[str, str]:
    meta = MUTANTS / f"{module.path}.meta"
    if not meta.exists():
        return {}
    codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    return {
        key: status_by_exit_code[code]
        for key, code in codes.items()
        if any(fnmatch.fnmatchcase(key, pattern) for pattern in module.patterns())
    }


def column_sites(source: str) -> dict[int, str]:
    """Lines of models.py that declare an encrypted column (`_secret()` or inline), named."""
    sites, table = {}, "?"
    for number, line in enumerate(source.splitlines()):
        if match := re.match(r"class (\w+)\(", line):
            table = match.group(1)
        if "sa_column=_secret()" in line or ("sa_column=" in line and "EncryptedText()" in line):
            sites[number] = f"{table}.{line.split(':')[0].strip()}"
    return sites


def run_columns() -> dict[str, str]:
    """Each encrypted column stored as plain Text in turn; the column tests must notice.

    Works on its own copy (mutants/columns/), so an interrupted run changes nothing."""
    copy = MUTANTS / "columns"
    shutil.rmtree(copy, ignore_errors=True)
    for name in ("bot", "handlers", "storage", "messages", "tests"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", copy / "pyproject.toml")
    target = copy / MODELS
    original = target.read_text()
    lines = original.splitlines(keepends=True)
    future = lines.index("from __future__ import annotations\n") + 1
    env = {**os.environ, "PYTHONPATH": str(copy)}
    command = [str(BIN / "pytest"), "-x", "-q", "-p", "no:cacheprovider", *COLUMN_TESTS]
    results: dict[str, str] = {}
    print(f"== {MODELS} (each encrypted column as plain Text)", flush=True)
    for number, name in column_sites(original).items():
        plain = lines[number].replace("_secret()", "Column(Text(), nullable=True)")
        plain = plain.replace("EncryptedText()", "Text()")
        mutated = [*lines[:number], plain, *lines[number + 1 :]]
        mutated.insert(future, "from sqlalchemy import Text\n")
        target.write_text("".join(mutated))
        done = subprocess.run(command, cwd=copy, env=env, capture_output=True)
        results[f"{MODELS}: {name}"] = "survived" if done.returncode == 0 else "killed"
    target.write_text(original)
    (MUTANTS / "columns.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
    return results


def saved_columns() -> dict[str, str]:
    path = MUTANTS / "columns.json"
    return json.loads(path.read_text()) if path.exists() else {}


def score_line(name: str, results: dict[str, str]) -> str:
    killed = sum(status in KILLED for status in results.values())
    survived = sum(status == "survived" for status in results.values())
    other = len(results) - killed - survived  # no tests, suspicious, not checked
    percent = 100 * killed / len(results) if results else 0.0
    extra = f", {other} untested" if other else ""
    return f"{name:<44} {killed:>5} killed {survived:>4} survived{extra:<14} {percent:6.1f}%"


def report(modules: list[Module], *, survivors: bool) -> None:
    by_module = {module.path: statuses(module) for module in modules}
    columns = saved_columns()
    print()
    groups: dict[str, dict[str, str]] = {}
    for module in modules:
        print(score_line(module.path, by_module[module.path]))
        groups.setdefault(module.group, {}).update(by_module[module.path])
    if columns:
        print(score_line(f"{MODELS} (columns)", columns))
        groups.setdefault("encrypted columns", {}).update(columns)
    print()
    for group, results in groups.items():
        print(score_line(f"[{group}]", results))
    everything = {key: s for results in groups.values() for key, s in results.items()}
    print(score_line("TOTAL (killed / all mutants in scope)", everything))
    if survivors:
        print()
        for key, status in sorted(everything.items()):
            if status not in KILLED:
                print(f"{status:<10} {key}")
        print("\nsee one with: .venv/bin/mutmut show NAME")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="modules to run (default: all in scope)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATE_JOBS", "1")))
    parser.add_argument("--keep", action="store_true", help="reuse mutants/ (stats, results)")
    parser.add_argument("--report", action="store_true", help="print the last scores only")
    parser.add_argument("--survivors", action="store_true", help="list surviving mutants")
    args = parser.parse_args()
    unknown = set(args.paths) - {module.path for module in MODULES} - {MODELS}
    if unknown:
        sys.exit(f"not in scope: {', '.join(sorted(unknown))}")
    chosen = [m for m in MODULES if not args.paths or m.path in args.paths]
    os.chdir(ROOT)
    if not args.report:
        if not args.keep:
            shutil.rmtree(MUTANTS, ignore_errors=True)
        for module in chosen:
            run_mutmut(module, args.jobs)
        if not args.paths or MODELS in args.paths:
            run_columns()
    report(chosen, survivors=args.survivors)


if __name__ == "__main__":
    main()
