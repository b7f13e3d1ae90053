"""Outbound → DingTalk robot messages, and card buttons that come back as text."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.channels.base import SignatureError
from bot.channels.dingtalk.inbound import parse_message, verify_signature
from bot.channels.dingtalk.messages import (
    button_text,
    pressed_button,
    robot_messages,
    split_text,
    webhook_body,
)
from handlers.envelopes import Button, Outbound
from tests.fakes.dingtalk_callbacks import sign

SECRET = "app-secret"
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def card(count: int) -> Outbound:
    buttons = tuple(Button(key=f"visit:{n}", label=f"选项{n}") for n in range(1, count + 1))
    return Outbound(kind="card", text="本周谈心\n请选择", title="提醒", buttons=buttons)


def clicked(url: str) -> str:
    """What DingTalk's client sends when a dtmd://…sendMessage link is tapped."""
    assert url.startswith("dtmd://dingtalkclient/sendMessage?")
    return parse_qs(urlsplit(url).query)["content"][0]


def test_a_button_url_sends_text_that_maps_back_to_its_key() -> None:
    [message] = robot_messages(card(2), secret=SECRET)

    sent = clicked(message.param["actionURL2"])

    assert sent.startswith("选项2 [")
    assert pressed_button(sent, secret=SECRET) == "visit:2"


def test_button_codes_depend_on_the_secret_and_the_key() -> None:
    text = button_text(Button(key="visit:1", label="好"), secret=SECRET)

    assert pressed_button(text, secret="another-secret") is None
    assert pressed_button(text.replace("visit:1", "visit:2"), secret=SECRET) is None
    assert pressed_button("随便说说 [x]", secret=SECRET) is None
    assert pressed_button("帮助", secret=SECRET) is None


@pytest.mark.parametrize(
    ("count", "msg_key"),
    [(1, "sampleActionCard"), (2, "sampleActionCard2"), (5, "sampleActionCard5")],
)
def test_card_buttons_choose_the_action_card_variant(count: int, msg_key: str) -> None:
    [message] = robot_messages(card(count), secret=SECRET)

    assert message.msg_key == msg_key
    assert message.param["title"] == "提醒"
    if count == 1:
        assert message.param["singleTitle"] == "选项1"
    else:
        assert [message.param[f"actionTitle{n}"] for n in range(1, count + 1)] == [
            f"选项{n}" for n in range(1, count + 1)
        ]


def test_more_than_five_buttons_list_the_rest_as_numbered_links() -> None:
    [message] = robot_messages(card(7), secret=SECRET)

    assert message.msg_key == "sampleActionCard5"
    assert "6. [选项6](dtmd://" in message.param["text"]
    assert "7. [选项7](dtmd://" in message.param["text"]
    assert "actionTitle6" not in message.param


def test_a_card_without_buttons_is_markdown_and_text_is_text() -> None:
    [plain] = robot_messages(Outbound(kind="text", text="你好"), secret=SECRET)
    [bare] = robot_messages(card(0), secret=SECRET)

    assert (plain.msg_key, plain.param) == ("sampleText", {"content": "你好"})
    assert bare.msg_key == "sampleMarkdown" and bare.param["text"] == "本周谈心  \n请选择"


def test_long_text_is_split_at_line_ends_under_2048_bytes() -> None:
    lines = [f"第{n}行：" + "字" * 40 for n in range(100)]

    parts = robot_messages(Outbound(kind="text", text="\n".join(lines)), secret=SECRET)

    assert len(parts) > 1
    assert all(len(p.param["content"].encode()) <= 2048 for p in parts)
    assert "\n".join(p.param["content"] for p in parts) == "\n".join(lines)


def test_a_single_huge_line_is_cut_at_character_boundaries() -> None:
    pieces = split_text("帮" * 1000)  # 3000 bytes, no newline

    assert [len(p.encode()) for p in pieces] == [2046, 954]
    assert "".join(pieces) == "帮" * 1000


def test_webhook_bodies_mirror_the_robot_messages() -> None:
    [single] = robot_messages(card(1), secret=SECRET)
    [double] = robot_messages(card(2), secret=SECRET)
    [text] = robot_messages(Outbound(kind="text", text="你好"), secret=SECRET)

    assert webhook_body(text) == {"msgtype": "text", "text": {"content": "你好"}}
    assert webhook_body(single)["actionCard"]["singleURL"] == single.param["singleURL"]
    buttons = webhook_body(double)["actionCard"]["btns"]
    assert [b["title"] for b in buttons] == ["选项1", "选项2"]
    assert buttons[1]["actionURL"] == double.param["actionURL2"]


def test_signature_accepts_dingtalks_sign_and_refuses_others() -> None:
    now_ms = int(NOW.timestamp() * 1000)
    good = {"timestamp": str(now_ms), "sign": sign(now_ms, SECRET)}

    verify_signature(**good, secret=SECRET, now=NOW, max_skew=3600)
    with pytest.raises(SignatureError):
        verify_signature(**good, secret="other", now=NOW, max_skew=3600)
    with pytest.raises(SignatureError):
        verify_signature(timestamp="12ab", sign=good["sign"], secret=SECRET, now=NOW, max_skew=0)
    with pytest.raises(SignatureError):
        late = NOW.replace(hour=3)
        verify_signature(**good, secret=SECRET, now=late, max_skew=3600)


def test_parse_turns_a_button_text_into_inbound_button() -> None:
    body = {
        "msgId": "msg1",
        "msgtype": "text",
        "senderStaffId": "manager4521",
        "conversationType": "1",
        "text": {"content": " " + button_text(Button("visit:9", "已谈心"), secret=SECRET)},
    }

    parsed = parse_message(body, now=NOW, button_secret=SECRET)

    assert parsed is not None
    assert (parsed.inbound.button, parsed.inbound.text) == ("visit:9", None)
    assert parsed.inbound.account == "manager4521" and parsed.inbound.message_id == "msg1"


def test_parse_reads_rich_text_and_voice() -> None:
    base = {"msgId": "m", "senderStaffId": "u1", "conversationType": "1"}
    rich = {
        **base,
        "msgtype": "richText",
        "content": {"richText": [{"text": "帮"}, {"text": "助"}]},
    }
    voice = {**base, "msgtype": "audio", "content": {"recognition": "我是谁"}}

    assert parse_message(rich, now=NOW, button_secret=SECRET).inbound.text == "帮助"  # type: ignore[union-attr]
    assert parse_message(voice, now=NOW, button_secret=SECRET).inbound.text == "我是谁"  # type: ignore[union-attr]


def test_parse_ignores_group_session_webhooks() -> None:
    body = {
        "msgId": "m",
        "msgtype": "text",
        "text": {"content": "hi"},
        "senderStaffId": "u1",
        "conversationType": "2",
        "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=x",
        "sessionWebhookExpiredTime": int(NOW.timestamp() * 1000) + 60_000_00,
    }

    parsed = parse_message(body, now=NOW, button_secret=SECRET)

    assert parsed is not None and parsed.session_webhook is None
