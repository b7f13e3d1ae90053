"""Typer's help pages and usage errors in Chinese: an admin never meets click's English."""

from __future__ import annotations

import re
from difflib import get_close_matches
from pathlib import Path
from typing import Any, get_args

import typer
from typer import rich_utils

# Typer (>= 0.29) vendors click as typer._click and exports none of its usage errors; these
# are the classes its parser raises, so they are what a Chinese rendering has to recognise.
from typer._click.core import Command, Context
from typer._click.exceptions import (
    BadOptionUsage,
    BadParameter,
    ClickException,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer._click.formatting import HelpFormatter
from typer.core import TyperArgument, TyperGroup, TyperOption
from typer.main import get_command

from bot.cli.help import help_for
from messages.render import render

# The help page's own words (rich_utils reads these module constants at every render), worded
# in messages/templates/cli/cli_help_labels.j2 under the constants' names.
RICH_LABELS = (
    "ARGUMENTS_PANEL_TITLE",
    "OPTIONS_PANEL_TITLE",
    "COMMANDS_PANEL_TITLE",
    "ERRORS_PANEL_TITLE",
    "ABORTED_TEXT",
    "DEFAULT_STRING",
    "ENVVAR_STRING",
    "REQUIRED_LONG_STRING",
    "DEPRECATED_STRING",
    "RICH_HELP",
)
TYPE_LABELS = {int: "integer", float: "number", str: "text"}
"""A value's type → its label in cli_help_labels.j2."""
DATE_FORMATS = {"%Y-%m-%d": "YYYY-MM-DD"}
_EXTRA = re.compile(r"unexpected extra argument\(s\) \((.*)\)", re.S)
_NO_COMMAND = re.compile(r"No such command '(.*?)'")


class ChineseFormatter(HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, label("usage") if prefix is None else prefix)


class ChineseContext(Context):
    formatter_class = ChineseFormatter

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The parser raises some usage errors without a context; the latest one opened is the
        # command being parsed, whose usage line the answer should show.
        _opened.append(self)


_opened: list[Context] = []


class ChineseArgument(TyperArgument):
    """An argument whose type shows in Chinese on the help page (typer has no hook for it)."""

    def display_type_rich(self, ctx: Context) -> str | None:
        described = self.type_descriptor
        if described.is_path or Path in get_args(described.annotation):
            return label("path")
        return _type_name(described.annotation) or super().display_type_rich(ctx)


def run(app: typer.Typer, args: list[str] | None = None) -> int:
    """Run the CLI on `args` (default: the command line), answering usage errors in Chinese.
    Returns the exit code."""
    command = get_command(app)
    localise(command)
    _opened.clear()
    try:
        result = command.main(args, prog_name="carebot", standalone_mode=False)
    except NoArgsIsHelpError:  # typer printed the help page while raising it
        return 2
    except UsageError as exc:
        typer.echo(usage_error(exc), err=True)
        return exc.exit_code
    except ClickException as exc:
        typer.echo(render("cli_usage_error", kind="other", **_where(None)), err=True)
        return exc.exit_code
    except typer.Abort:
        typer.echo(render("cli_aborted"), err=True)
        return 1
    return result if isinstance(result, int) else 0


def localise(command: Command) -> None:
    """Chinese labels for the help page and usage line of `command` and everything below it."""
    for name in RICH_LABELS:
        setattr(rich_utils, name, label(name))
    _localise(command)


def label(name: str) -> str:
    """A word of the help page or usage line (cli_help_labels.j2)."""
    return render("cli_help_labels", label=name)


def _type_name(annotation: Any) -> str | None:
    name = TYPE_LABELS.get(annotation)
    return None if name is None else label(name)


def _localise(command: Command) -> None:
    command.context_class = ChineseContext
    command.options_metavar = label("options_metavar")
    if isinstance(command, TyperGroup):
        command.subcommand_metavar = label("subcommand_metavar")
        for sub in command.commands.values():
            _localise(sub)
    for param in command.params:
        if isinstance(param, TyperOption) and param.metavar is None:
            param.metavar = _type_label(param)
        elif type(param) is TyperArgument:
            param.__class__ = ChineseArgument
    help_option = command.get_help_option(ChineseContext(command))
    if help_option is not None:
        help_option.help = help_for("--help")
        help_option.metavar = ""


def _type_label(option: TyperOption) -> str | None:
    """What the help page shows after an option; None keeps typer's (choices: a|b)."""
    described = option.type_descriptor
    if option.is_flag:
        return ""  # a switch takes no value
    if described.is_datetime:
        return _formats(described)
    if described.is_path:
        return label("path")
    if described.is_choice:
        return None
    return _type_name(described.annotation)


def usage_error(exc: UsageError) -> str:
    """The Chinese answer to a usage error: what is wrong, the usage line, where help is."""
    return render("cli_usage_error", **_problem(exc), **_where(exc.ctx or _latest()))


def _latest() -> Context | None:
    return _opened[-1] if _opened else None


def _where(ctx: Context | None) -> dict[str, str]:
    if ctx is None:
        return {"usage": "", "command": "carebot"}
    return {"usage": ctx.get_usage(), "command": ctx.command_path}


def _problem(exc: UsageError) -> dict[str, Any]:
    if isinstance(exc, NoSuchOption):
        suggestions = sorted(exc.possibilities or [])
        return {"kind": "no_such_option", "option": exc.option_name, "suggestions": suggestions}
    if isinstance(exc, MissingParameter) and exc.param is not None:
        kind = "missing_option" if isinstance(exc.param, TyperOption) else "missing_argument"
        return {"kind": kind, "name": _name(exc.param), "help": getattr(exc.param, "help", "")}
    if isinstance(exc, BadParameter) and exc.param is not None:
        return {"kind": "bad_value", "name": _name(exc.param), **bad_value(exc)}
    if isinstance(exc, BadOptionUsage):
        kind = "needs_value" if "requires" in exc.message else "takes_no_value"
        return {"kind": kind, "option": exc.option_name}
    return _by_message(exc)


def _by_message(exc: UsageError) -> dict[str, Any]:
    """Errors click raises as plain UsageError, told apart by their (stable) English text."""
    if match := _NO_COMMAND.search(exc.message):
        group = exc.ctx.command if exc.ctx else None
        names = list(group.commands) if isinstance(group, TyperGroup) else []
        suggestions = get_close_matches(match[1], names)
        return {"kind": "no_such_command", "name": match[1], "suggestions": suggestions}
    if exc.message.startswith("Missing command"):
        return {"kind": "missing_command"}
    if match := _EXTRA.search(exc.message):
        return {"kind": "extra_arguments", "extra": match[1]}
    return {"kind": "other"}


def _name(param: TyperOption | TyperArgument | Any) -> str:
    if isinstance(param, TyperOption):
        return " / ".join(param.opts)
    return str(param.display_name_raw).upper()


def bad_value(exc: BadParameter) -> dict[str, Any]:
    """Which value was refused and what kind of value the parameter expects."""
    errors = getattr(exc.__cause__, "errors", None)
    first: dict[str, Any] = errors()[0] if callable(errors) else {}
    value = first.get("input")
    param = exc.param
    described = param.type_descriptor if isinstance(param, TyperOption | TyperArgument) else None
    found = {"value": None if value is None else str(value)}
    if described is None:
        return {**found, "expected": "other"}
    if described.is_path:
        return {**found, **_path_problem(exc.message)}
    if described.is_datetime:
        return {**found, "expected": "date", "formats": _formats(described)}
    if described.is_choice:
        choices = [str(getattr(c, "value", c)) for c in described.choices or ()]
        return {**found, "expected": "choice", "choices": choices}
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is not None or high is not None:
        return {**found, "expected": "range", "low": low, "high": high}
    kind = {int: "integer", float: "number"}.get(described.annotation, "other")
    return {**found, "expected": kind}


def _formats(described: Any) -> str:
    formats = described.parameter_info.formats or ["%Y-%m-%d"]
    return "|".join(DATE_FORMATS.get(f, f) for f in formats)


def _path_problem(message: str) -> dict[str, Any]:
    """typer's path checks say `file 'x' does not exist.` and the like; the name is quoted."""
    quoted = re.search(r"'(.*)'", message)
    value = quoted[1] if quoted else None
    for ending, expected in (
        ("does not exist.", "path_missing"),
        ("is a directory.", "path_is_folder"),
        ("is a file.", "path_is_file"),
        ("is not readable.", "path_not_readable"),
        ("is not writable.", "path_not_writable"),
    ):
        if message.endswith(ending):
            return {"value": value, "expected": expected}
    return {"value": value, "expected": "other"}
