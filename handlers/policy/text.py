"""The policy file's bytes to TOML data, with a Chinese line for what an office editor does.

Notepad and WPS save as GBK, add a BOM, or turn "…" into “…”; people write 2026-9-1 and dates
that do not exist. Full-width quotes and bare bad dates are repaired so that the rest of the
file is still checked (a bad date then reads as a string and is reported where it is used);
any other syntax error stops at the first, with its line.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from handlers.policy.read import problem_line

MAX_REPAIRS = 200
FULL_WIDTH_QUOTES = str.maketrans({"“": '"', "”": '"', "＂": '"', "‘": "'", "’": "'"})
_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)$")
_BARE_DAY = re.compile(r"(?<![\w\"'-])\d{4}-\d{1,2}-\d{1,2}(?![\w:-])")
# tomllib's messages → the hint cli_policy_problem.j2 gives for each
HINTS = (
    ("Invalid value", "value"),
    ("Expected '=' after a key", "equals"),
    ("Cannot overwrite a value", "twice"),
    ("Cannot declare", "twice"),
    ("Cannot mutate immutable namespace", "twice"),
    ("Unclosed", "unclosed"),
    ("Expected ']", "unclosed"),
    ("Illegal character '\\n'", "string"),
    ("Expected newline or end of document", "newline"),
    ("Invalid statement", "statement"),
)


def read_text(path: Path, problems: list[str]) -> str | None:
    """The file as text (UTF-8, with or without BOM); None with a problem when it cannot be."""
    where = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.append(problem_line("not_found", where=where))
        return None
    except IsADirectoryError:
        problems.append(problem_line("is_folder", where=where))
        return None
    except OSError:
        problems.append(problem_line("unreadable", where=where))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        problems.append(problem_line("not_utf8", where=where))
    else:
        problems.append(problem_line("gbk", where=where))
    return None


def load_toml(text: str, *, source: str, problems: list[str]) -> dict[str, object] | None:
    """Parse TOML, repairing full-width quotes (reported) and bare bad dates (left for the
    readers to report); None after a syntax error that cannot be repaired."""
    for _ in range(MAX_REPAIRS):
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line, column = _position(str(exc))
            repaired = _repair(text, line, source=source, problems=problems)
            if repaired is None:
                hint = next((h for start, h in HINTS if str(exc).startswith(start)), "other")
                found = problem_line(
                    "toml_syntax", where=source, line=line, column=column, hint=hint
                )
                problems.append(found)
                return None
            text = repaired
    return None


def _position(message: str) -> tuple[int | None, int | None]:
    found = _POSITION.search(message)
    return (int(found[1]), int(found[2])) if found else (None, None)


def _repair(text: str, line: int | None, *, source: str, problems: list[str]) -> str | None:
    """The text with error line `line` repaired, or None when there is nothing to repair."""
    if line is None:
        return None
    lines = text.split("\n")
    current = lines[line - 1]
    fixed = current.translate(FULL_WIDTH_QUOTES)
    if fixed != current:
        problems.append(problem_line("fullwidth_quotes", where=source, line=line))
    else:
        fixed = _BARE_DAY.sub(lambda day: f'"{day[0]}"', current)
        if fixed == current:
            return None
    lines[line - 1] = fixed
    return "\n".join(lines)
