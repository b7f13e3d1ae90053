"""No user-facing Chinese sentence is written in code: every one is a template in messages/.

The rule (STYLE.md): the code names a message and messages/templates/ words it. Chinese *data*
stays in code: column names, words a cell or a chat may hold, category and holiday names. This
test tells the two apart by shape, with the ast module, over bot/, storage/ and handlers/:

- an f-string with Chinese in its text is a sentence being built (`f"已生成模板：{file}"`);
- a string with Chinese and sentence punctuation ，。；：！？「」, or a format placeholder
  (`"第{rows}行"`), or more than `LONGEST_WORD` Chinese characters, is a sentence;
- any Chinese string printed (`echo(…)`, `print(…)`) or given as a `help=`, however short;
- a function's docstring written in Chinese (more Chinese characters than Latin letters) is a
  sentence too: typer shows a command's docstring as its help;
- regular expressions (passed to `re`, or written like one: `(?P<…>`, `[…]{1,3}`) are grammar,
  not output, and are not looked at; nor are the other docstrings, which are for developers.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "storage", "handlers")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
PUNCTUATION = re.compile(r"[，。；：！？「」]")
PLACEHOLDER = re.compile(r"\{[A-Za-z_]\w*(?:[.\[:!][^{}]*)?\}|\{\}")  # str.format's
REGEX = re.compile(r"\(\?|\][*+?{]|\\[dswDSW]")
LONGEST_WORD = 10
"""Chinese characters in the longest name kept in code (计算机科学与技术 is 8)."""

ALLOWED: dict[str, frozenset[str]] = {
    # Calendar notes shown by `carebot policy check`: being moved into templates by the
    # engineer who owns handlers/policy/ (issue 11); remove the entry with the move.
    "handlers/policy/calendar.py": frozenset({"FALLBACK_NOTE", "EXTRAS_NOTE"}),
    # The 档案表's row labels are the seed form's column names (data, like the ledger's in
    # categories.toml); one of them is longer than LONGEST_WORD.
    "storage/exports/casefile_docx.py": frozenset({"LABELS"}),
}
"""Module → names of the module-level constants whose Chinese is allowed to stay."""


def _python_files() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _docstrings(tree: ast.AST) -> tuple[set[int], set[int]]:
    """The functions' docstrings, and every other string that stands alone as a statement
    (docstrings of modules, classes and attributes)."""
    functions: set[int] = set()
    others: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        for statement in body if isinstance(body, list) else ():  # a lambda's is an expression
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                others.add(id(statement.value))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                functions.add(id(first.value))
    return functions, others - functions


def _patterns(tree: ast.AST) -> set[int]:
    """Every node inside a call of the re module: re.compile("…"), re.sub(…)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
        ):
            found.update(id(inner) for inner in ast.walk(node))
    return found


OUTPUT_CALLS = frozenset({"echo", "secho", "print"})


def _output(tree: ast.AST) -> set[int]:
    """The strings printed, or given to typer as help."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        values = [*node.args] if name in OUTPUT_CALLS else []
        values += [keyword.value for keyword in node.keywords if keyword.arg == "help"]
        found.update(id(value) for value in values if isinstance(value, ast.Constant))
    return found


def _allowed(tree: ast.Module, names: frozenset[str]) -> set[int]:
    """The nodes of the module-level constants named in the allow-list."""
    found: set[int] = set()
    for statement in tree.body:
        targets = (
            statement.targets
            if isinstance(statement, ast.Assign)
            else [statement.target]
            if isinstance(statement, ast.AnnAssign)
            else []
        )
        if any(isinstance(t, ast.Name) and t.id in names for t in targets):
            found.update(id(inner) for inner in ast.walk(statement))
    return found


def is_sentence(text: str) -> bool:
    """Chinese that reads as a sentence (or a piece of one), not as a name or a word."""
    if not CJK.search(text) or REGEX.search(text):
        return False
    return bool(
        PUNCTUATION.search(text)
        or PLACEHOLDER.search(text)
        or len(CJK.findall(text)) > LONGEST_WORD
    )


def is_chinese_prose(text: str) -> bool:
    """A docstring written in Chinese rather than in English with Chinese terms."""
    return len(CJK.findall(text)) > len(re.findall(r"[A-Za-z]", text))


def sentences_in(source: str, *, allowed: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """(line, text) of every Chinese sentence written in the code of `source`."""
    tree = ast.parse(source)
    functions, others = _docstrings(tree)
    output = _output(tree)
    skipped = others | _patterns(tree) | _allowed(tree, allowed)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.JoinedStr):
            skipped.update(id(inner) for inner in ast.walk(node))
            text = "".join(
                part.value
                for part in node.values
                if isinstance(part, ast.Constant) and isinstance(part.value, str)
            )
            if CJK.search(text):
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in output:
                wrong = bool(CJK.search(node.value))
            elif id(node) in functions:
                wrong = is_chinese_prose(node.value)
            else:
                wrong = is_sentence(node.value)
            if wrong:
                found.append((node.lineno, node.value))
    return found


def test_no_chinese_sentence_is_written_in_code() -> None:
    found = []
    for path in _python_files():
        name = path.relative_to(ROOT).as_posix()
        allowed = ALLOWED.get(name, frozenset())
        for line, text in sentences_in(path.read_text("utf-8"), allowed=allowed):
            found.append(f"{name}:{line}: {text!r}")

    assert found == [], "Chinese sentences belong in messages/templates/:\n" + "\n".join(found)


def test_every_allowed_module_exists() -> None:
    assert all((ROOT / name).is_file() for name in ALLOWED)


@pytest.mark.parametrize(
    "code",
    [
        'typer.echo(f"已生成模板：{file}")',
        'MISSING = "必填，不能为空"',
        'ROW = "第{row}行"',
        'typer.echo("模板文件名应以 .xlsx 结尾，请换一个文件名再试")',
        'HELP = "运行定时进程\\n\\n同一时间只有一个定时进程生效"',
        'def check() -> None:\n    """检查策略文件，列出全部问题。"""',
        'port: Annotated[int, typer.Option(help="端口")] = 8000',
        'typer.echo("列名重复", err=True)',
    ],
)
def test_a_sentence_in_code_is_found(code: str) -> None:
    assert sentences_in(code) != []


@pytest.mark.parametrize(
    "code",
    [
        'STUDENT_KEY = "学号"',
        'CLEAR_SPELLINGS = frozenset({"（清空）", "【清空】"})',
        'KINDS = {"student": "学生", "staff": "教职工"}',
        '_DATE = re.compile(r"(\\d{4})[-/.年](\\d{1,2})[-/.月](\\d{1,2})日?")',
        'def find() -> None:\n    """Students whose name or 学号 is exactly `token` (「张三」)."""',
        'text = f"{self.prefix}{row} {column}: {reason}"',
        '_CN = "[零〇一二两三四五六七八九十]{1,3}"',
        'when = moment.strftime("%m月%d日 %H:%M")',
        'class KeyPeriod:\n    name: str\n    """考前, 国庆节前, 国庆节后返校, 寒假返校 …"""',
    ],
)
def test_chinese_data_is_not_a_sentence(code: str) -> None:
    assert sentences_in(code) == []
