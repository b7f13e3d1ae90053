"""DingTalk inbound checks, each alone: the JSON filter, the signed timestamp (past and future),
who the sender is, which words a message carries, and which reply webhook may be kept."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.channels.base import MalformedError, SignatureError
from bot.channels.dingtalk.inbound import (
    LATEST,
    expected_sign,
    message_text,
    parse_body,
    parse_message,
    verify_signature,
)
from bot.channels.dingtalk.messages import button_text
from handlers.envelopes import Button
from tests.fakes.dingtalk_callbacks import sign

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
SECRET = "ding-app-secret"
SKEW = 3600


# -- the JSON filter --------------------------------------------------------------------


def test_a_body_is_a_json_object_from_text_or_utf8_bytes() -> None:
    body = '{"msgId": "m1", "n": 1.5, "deep": [[{"a": null}]]}'
    expected = {"msgId": "m1", "n": 1.5, "deep": [[{"a": None}]]}
    assert parse_body(body) == expected == parse_body(body.encode())


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"a": "\xff"}', "body is not JSON"),
        ("not json", "body is not JSON"),
        ('{"a": NaN}', "body is not JSON"),
        ('{"a": -Infinity}', "body is not JSON"),
        ('{"a": 1e400}', "body is not JSON"),
        ("[" * 100_000 + "]" * 100_000, "body is not JSON"),
        ("[1, 2]", "body is not a JSON object"),
        ('"text"', "body is not a JSON object"),
    ],
    ids=["utf8", "text", "nan", "infinity", "overflow", "deep", "list", "string"],
)
def test_what_the_json_filter_refuses_and_why(raw: bytes | str, reason: str) -> None:
    with pytest.raises(MalformedError) as refused:
        parse_body(raw)
    assert str(refused.value) == reason


# -- the signature ------------------------------------------------------------------------


def test_the_expected_sign_is_dingtalks() -> None:
    assert expected_sign(str(NOW_MS), SECRET) == sign(NOW_MS, SECRET)
    assert expected_sign(str(NOW_MS + 1), SECRET) != sign(NOW_MS, SECRET)


@pytest.mark.parametrize("offset_ms", [0, SKEW * 1000, -SKEW * 1000])
def test_a_correct_sign_within_the_skew_either_way_is_accepted(offset_ms: int) -> None:
    stamp = NOW_MS + offset_ms
    verify_signature(
        timestamp=str(stamp), sign=sign(stamp, SECRET), secret=SECRET, now=NOW, max_skew=SKEW
    )


@pytest.mark.parametrize("offset_ms", [SKEW * 1000 + 1, -SKEW * 1000 - 1, 86_400_000])
def test_a_correct_sign_outside_the_skew_is_refused_future_ones_too(offset_ms: int) -> None:
    stamp = NOW_MS + offset_ms
    good = {"timestamp": str(stamp), "sign": sign(stamp, SECRET)}
    with pytest.raises(SignatureError, match=r"^timestamp outside the allowed clock skew$"):
        verify_signature(**good, secret=SECRET, now=NOW, max_skew=SKEW)
    verify_signature(**good, secret=SECRET, now=NOW, max_skew=0)  # 0: no time check


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        (None, "s"),
        ("", "s"),
        (str(NOW_MS), None),
        (str(NOW_MS), ""),
        ("12ab", "s"),
        ("\u0661\u0662\u0663", "s"),
        ("-5", "s"),
    ],
)
def test_a_missing_or_malformed_timestamp_or_sign_is_refused(
    timestamp: str | None, signature: str | None
) -> None:
    with pytest.raises(SignatureError, match=r"^missing or malformed timestamp/sign$"):
        verify_signature(timestamp=timestamp, sign=signature, secret=SECRET, now=NOW, max_skew=SKEW)


def test_a_sign_made_with_another_secret_is_refused() -> None:
    with pytest.raises(SignatureError, match=r"^sign does not match$"):
        verify_signature(
            timestamp=str(NOW_MS),
            sign=sign(NOW_MS, "other"),
            secret=SECRET,
            now=NOW,
            max_skew=SKEW,
        )


# -- the message ------------------------------------------------------------------------


def message(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "msgId": "m1",
        "msgtype": "text",
        "text": {"content": " 帮助 "},
        "senderStaffId": "manager4521",
        "senderId": "$:LWCP_v1:$abc==",
        "conversationType": "1",
    }
    return {**body, **fields}


def parse(body: dict[str, Any]) -> Any:
    return parse_message(body, now=NOW, button_secret=SECRET)


def test_a_text_message_becomes_an_inbound_from_the_staff_id() -> None:
    parsed = parse(message(text={"content": " 帮助\u200b\r\n "}))
    inbound = parsed.inbound
    assert (inbound.channel, inbound.account, inbound.message_id) == (
        "dingtalk",
        "manager4521",
        "m1",
    )
    assert (inbound.received_at, inbound.text, inbound.button) == (NOW, "帮助", None)


@pytest.mark.parametrize("code", [None, "", 0, "0"])
def test_no_error_code_means_a_message(code: Any) -> None:
    assert parse(message(errorCode=code)) is not None


@pytest.mark.parametrize("code", [1, "300001", "quota"])
def test_an_error_instead_of_a_message_is_logged_and_not_answered(
    code: Any, caplog: pytest.LogCaptureFixture
) -> None:
    assert parse(message(errorCode=code)) is None
    expected = f"dingtalk delivered an error instead of a message: {code}"
    assert expected in [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize(
    "fields",
    [
        {"msgId": None},
        {"msgId": ""},
        {"msgId": 7},
        {"senderStaffId": None, "senderId": None},
        {"senderStaffId": " ", "conversationType": "2"},
    ],
)
def test_a_message_without_an_id_or_a_sender_is_ignored(
    fields: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    assert parse(message(**fields)) is None
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert logged == ["dingtalk message without msgId or sender; ignored"]


def test_the_staff_id_is_trimmed_and_cut_to_an_accounts_length() -> None:
    assert parse(message(senderStaffId="  u1 ")).inbound.account == "u1"
    assert parse(message(senderStaffId="u" * 200)).inbound.account == "u" * 128


def test_ids_lose_what_cannot_be_stored_and_nothing_left_is_no_id() -> None:
    """PostgreSQL refuses a NUL byte: an id carrying one answered 500 before."""
    parsed = parse(message(msgId="m\x001", senderStaffId="u\x001"))
    assert (parsed.inbound.message_id, parsed.inbound.account) == ("m1", "u1")
    assert parse(message(msgId="\x00")) is None
    assert parse(message(senderStaffId="\x00", conversationType="2")) is None


def test_without_a_staff_id_a_one_to_one_sender_gets_a_placeholder_account() -> None:
    for missing in (None, "  ", 5):
        parsed = parse(message(senderStaffId=missing, conversationType=1))
        assert parsed.inbound.account == "$sender:$:LWCP_v1:$abc=="
    longest = "s" * (128 - len("$sender:"))
    assert parse(message(senderStaffId=None, senderId=longest)).inbound.account.endswith(longest)
    assert parse(message(senderStaffId=None, senderId=longest + "s")) is None
    assert parse(message(senderStaffId=None, senderId="")) is None
    assert parse(message(senderStaffId=None, conversationType="2")) is None


def test_a_pressed_button_arrives_as_its_key_and_no_text() -> None:
    typed = " " + button_text(Button("visit:9", "已谈心"), secret=SECRET) + " "
    inbound = parse(message(text={"content": typed})).inbound
    assert (inbound.button, inbound.text) == ("visit:9", None)
    forged = button_text(Button("visit:9", "已谈心"), secret="other")
    inbound = parse(message(text={"content": forged})).inbound
    assert (inbound.button, inbound.text) == (None, forged)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"msgtype": "text", "text": {"content": " 帮助 "}}, "帮助"),
        ({"msgtype": "text", "text": {"content": 5}}, None),
        ({"msgtype": "text", "text": "帮助"}, None),
        (
            {
                "msgtype": "richText",
                "content": {"richText": [{"text": " 帮"}, "x", {"pic": 1}, {"text": "助 "}]},
            },
            "帮助",
        ),
        ({"msgtype": "richText", "content": {"richText": [{"text": "  "}]}}, None),
        ({"msgtype": "richText", "content": {"richText": "帮助"}}, None),
        ({"msgtype": "audio", "content": {"recognition": " 我是谁 "}}, "我是谁"),
        ({"msgtype": "audio", "content": {"recognition": "  "}}, None),
        ({"msgtype": "audio", "content": {"recognition": 1}}, None),
        ({"msgtype": "audio", "content": "我是谁"}, None),
        ({"msgtype": "picture", "content": {"downloadCode": "x"}}, None),
        ({"msgtype": "picture", "text": {"content": "图里的字"}}, None),
        ({"msgtype": "picture", "content": {"recognition": "图里的字"}}, None),
        ({"msgtype": "picture", "content": {"richText": [{"text": "图里的字"}]}}, None),
        (
            {"msgtype": "audio", "content": {"recognition": "我是谁", "richText": [{"text": "x"}]}},
            "我是谁",
        ),
    ],
)
def test_the_words_of_each_kind_of_message(fields: dict[str, Any], words: str | None) -> None:
    body = {
        key: value for key, value in message(**fields).items() if key != "text" or "text" in fields
    }
    assert message_text(body) == words


def test_a_picture_arrives_with_no_text() -> None:
    body = {k: v for k, v in message(msgtype="picture").items() if k != "text"}
    inbound = parse(body).inbound
    assert (inbound.text, inbound.button) == (None, None)


# -- the reply webhook ------------------------------------------------------------------


def test_a_one_to_one_webhook_is_kept_with_its_expiry() -> None:
    expires = NOW_MS + 90 * 60_000
    parsed = parse(message(sessionWebhook="https://hook", sessionWebhookExpiredTime=expires))
    assert parsed.session_webhook == "https://hook"
    assert parsed.session_expires == NOW + timedelta(minutes=90)
    fractional = parse(message(sessionWebhook="https://hook", sessionWebhookExpiredTime=1500.0))
    assert fractional.session_expires == datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=UTC)


@pytest.mark.parametrize(
    "fields",
    [
        {
            "sessionWebhook": "https://hook",
            "sessionWebhookExpiredTime": NOW_MS,
            "conversationType": "2",
        },
        {"sessionWebhook": None, "sessionWebhookExpiredTime": NOW_MS},
        {"sessionWebhook": "https://hook", "sessionWebhookExpiredTime": "soon"},
        {"sessionWebhook": "https://hook", "sessionWebhookExpiredTime": True},
        {"sessionWebhook": "https://hook"},
    ],
)
def test_no_webhook_is_kept_from_a_group_or_without_a_time(fields: dict[str, Any]) -> None:
    parsed = parse(message(**fields))
    assert (parsed.session_webhook, parsed.session_expires) == (None, None)


@pytest.mark.parametrize("expires", [-1, LATEST, 1e30, float("inf")])
def test_an_expiry_that_is_no_time_is_malformed(expires: float) -> None:
    with pytest.raises(MalformedError, match=r"^sessionWebhookExpiredTime is not a time$"):
        parse(message(sessionWebhook="https://hook", sessionWebhookExpiredTime=expires))


def test_the_latest_expiry_is_the_year_9999() -> None:
    parsed = parse(message(sessionWebhook="https://h", sessionWebhookExpiredTime=LATEST - 1))
    assert parsed.session_expires.year == 9998 and parsed.session_expires.month == 12
    assert parse(
        message(sessionWebhook="https://h", sessionWebhookExpiredTime=0)
    ).session_expires == datetime(1970, 1, 1, tzinfo=UTC)
