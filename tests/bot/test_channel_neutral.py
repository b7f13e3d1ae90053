"""The generic pipeline never decides anything by a channel's name: it asks the channel's
description (bot.channels.base.ChannelTraits), which reaches handlers and storage as data.

import-linter keeps channel modules out of the generic packages; this keeps the knowledge out:
no comparison with a `Channel` member or a channel's name, no `match` on one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from storage.models import Channel

ROOT = Path(__file__).resolve().parents[2]
GENERIC = ("handlers", "storage", "bot/inbound", "bot/outbox", "bot/schedule")
NAMES = frozenset(member.value for member in Channel)
MEMBERS = frozenset(member.name for member in Channel)


def _names_a_channel(node: ast.AST) -> bool:
    """`Channel.WECOM`, `Channel.WECOM.value`, `"wecom"`, or a literal collection of them."""
    if isinstance(node, ast.Attribute) and node.attr == "value":
        node = node.value
    if isinstance(node, ast.Attribute) and node.attr in MEMBERS:
        return isinstance(node.value, ast.Name) and node.value.id == "Channel"
    if isinstance(node, ast.Constant):
        return node.value in NAMES
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_names_a_channel(element) for element in node.elts)
    return False


def channel_branches(source: str) -> list[int]:
    """Lines that compare with, or match on, a specific channel."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_names_a_channel(operand) for operand in operands):
                lines.append(node.lineno)
        elif isinstance(node, ast.MatchValue) and _names_a_channel(node.value):
            lines.append(node.lineno)
    return sorted(lines)


def _generic_modules() -> list[Path]:
    return sorted(path for package in GENERIC for path in (ROOT / package).rglob("*.py"))


@pytest.mark.parametrize(
    "source",
    [
        "lookup = code if channel == Channel.SIMULATOR else account",
        "if Channel.WECOM.value != inbound.channel: pass",
        "if 'dingtalk' == name: pass",
        "wanted = channel in (Channel.WECOM, Channel.DINGTALK)",
        "match channel:\n    case Channel.SIMULATOR:\n        pass",
        "found = Channel.SIMULATOR in config.channels",
    ],
)
def test_the_check_sees_a_branch_on_a_channel(source: str) -> None:
    assert channel_branches(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "by_code = match is AccountMatch.ROSTER_CODE",
        "rows = {Channel.WECOM: 'wecom id'}",  # a channel as a data key decides nothing
        "if row.platform_msgid != IN_RESPONSE: pass",
        "same = inbound.channel == row.channel",
    ],
)
def test_the_check_lets_data_through(source: str) -> None:
    assert channel_branches(source) == []


def test_generic_modules_never_branch_on_a_channel() -> None:
    modules = _generic_modules()
    assert len(modules) > 50  # the packages are where this test expects them
    found = {
        str(path.relative_to(ROOT)): lines
        for path in modules
        if (lines := channel_branches(path.read_text("utf-8")))
    }
    assert found == {}, "ask the channel's description (ChannelTraits) instead"
