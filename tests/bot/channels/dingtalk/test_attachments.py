"""The DingTalk robot sends no files or images here: a short text points to WeCom or the
simulator instead of the file's base64."""

from __future__ import annotations

import base64

import pytest

from bot.channels.dingtalk.messages import robot_messages
from handlers.envelopes import Outbound, image


@pytest.mark.parametrize(
    ("message", "said"),
    [
        (image(b"\x89PNG chart", name="统计.png"), "这里有一张图片「统计.png」"),
        (
            Outbound(kind="file", title="台账.xlsx", text=base64.b64encode(b"PK..").decode()),
            "这里有一个文件「台账.xlsx」",
        ),
    ],
)
def test_a_file_or_image_becomes_a_pointer_text(message: Outbound, said: str) -> None:
    [sent] = robot_messages(message, secret="s")

    assert sent.msg_key == "sampleText"
    content = sent.param["content"]
    assert content.startswith(said) and "企业微信" in content
    assert message.text not in content
