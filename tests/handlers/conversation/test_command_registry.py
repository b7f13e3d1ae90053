"""The command registry, matched once per message without I/O: whole words, a word with
arguments, button keys, and what a command may do while a form is open."""

from __future__ import annotations

from datetime import datetime

import pytest

from handlers.care import students, visit_start, weekly
from handlers.conversation import commands
from handlers.conversation.command import Matched
from handlers.conversation.commands import COMMANDS
from handlers.envelopes import Inbound
from tests.fakes.clock import SHANGHAI

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)


def inbound(text: str | None = None, button: str | None = None) -> Inbound:
    return Inbound("simulator", "T1", "m1", NOW, text=text, button=button)


def match(text: str | None = None, button: str | None = None, *, in_form: bool = False) -> Matched:
    found = commands.match(inbound(text, button), in_form=in_form)
    assert found is not None, f"{text or button} matched no command"
    return found


@pytest.mark.parametrize("text", ["我的学生", " 我的学生 ", "ＨＥＬＰ", "菜单", "？"])
def test_a_whole_word_asks_for_its_command_without_arguments(text: str) -> None:
    assert match(text).args == ""


def test_a_word_with_arguments_keeps_them_as_typed() -> None:
    found = match("记录　张三 谈心，聊了聊（近况）")  # a full-width space after the word
    assert found.command.action is visit_start.start_log
    assert found.args == "张三 谈心，聊了聊（近况）"
    assert match("查看李思远").args == "李思远"  # outside a form no space is needed


def test_inside_a_form_a_word_with_arguments_needs_a_space_after_it() -> None:
    assert match("查看 李思远", in_form=True).command.action is students.view_student
    for answer in ("查看了寝室", "记录一下作息", "查看"):
        assert commands.match(inbound(answer), in_form=True) is None
    assert match("记录", in_form=True).args == ""  # the whole word still asks for the form


@pytest.mark.parametrize(
    ("key", "args"),
    [("visit:start:12:谈心谈话", "12:谈心谈话"), ("alert:ack:7", "7"), ("alert:ack:", "")],
)
def test_a_button_key_asks_for_its_command_with_the_rest_of_the_key(key: str, args: str) -> None:
    assert match(button=key).args == args


def test_a_button_of_no_command_is_read_as_its_text() -> None:
    assert commands.match(inbound(button="form:choice:1"), in_form=True) is None
    # 取消 outside a form drops a broadcast draft (handlers/outreach); inside one it is the
    # form's: the command leaves it to the form.
    cancel = commands.match(inbound(button="取消"), in_form=True)
    assert cancel is None or not cancel.command.interrupts_form
    assert match("ignored", button="我是谁").args == ""


@pytest.mark.parametrize("text", ["", "你好", "记 录", "form:confirm", "帮助我"])
def test_anything_else_matches_no_command(text: str) -> None:
    assert commands.match(inbound(text), in_form=False) is None


@pytest.mark.parametrize(
    ("text", "button", "starts", "interrupts"),
    [
        ("记录", None, True, True),
        ("记录 张三", None, True, True),
        ("周报", None, True, True),
        (None, "visit:start:1:谈心谈话", True, True),
        ("帮助", None, False, False),  # the form explains its own words
        ("?", None, False, False),
        ("菜单", None, False, True),
        ("查看 张三", None, False, True),
        (None, "alert:ack:3", False, True),
    ],
)
def test_a_command_says_whether_it_opens_a_form_and_may_interrupt_one(
    text: str | None, button: str | None, starts: bool, interrupts: bool
) -> None:
    command = match(text, button).command
    assert (command.starts_form, command.interrupts_form) == (starts, interrupts)


def test_form_starters_are_the_ways_into_the_visit_and_weekly_forms() -> None:
    starters = {command.action for command in commands.CORE if command.starts_form}
    assert starters == {visit_start.start_log, visit_start.start_from_button, weekly.start}


def test_no_word_prefix_or_button_belongs_to_two_commands() -> None:
    words = [word for command in COMMANDS for word in command.words]
    prefixes = [command.prefix for command in COMMANDS if command.prefix]
    buttons = [command.button for command in COMMANDS if command.button]
    for claimed in (words, prefixes, buttons):
        assert len(claimed) == len(set(claimed))
    assert all(command.words or command.prefix or command.button for command in COMMANDS)
