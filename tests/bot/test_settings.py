"""Settings: defaults, and one clear line for each invalid value."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings
from tests.conftest import DATA_KEY


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DATABASE_URL",
        "TIMEZONE",
        "DATA_KEY",
        "SIMULATOR",
        "POLICY_FILE",
        "OUTBOX_LEASE_SECONDS",
        "HTTP_TIMEOUT",
    ):
        monkeypatch.delenv(f"CAREBOT_{name}", raising=False)


def test_defaults_from_the_issue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREBOT_DATA_KEY", DATA_KEY)

    settings = load_settings()

    assert settings.database_url == "sqlite:///var/carebot.db"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.simulator is False


def test_missing_key_says_how_to_make_one_only_for_a_new_database() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings()

    [fresh] = caught.value.lines(data_exists=False)
    [loaded] = caught.value.lines(data_exists=True)
    assert fresh.startswith("carebot：还没有设置 CAREBOT_DATA_KEY") and "carebot keys new" in fresh
    assert "当初加密这些数据的那把密钥" in loaded and "carebot keys new" not in loaded
    assert caught.value.database_url == "sqlite:///var/carebot.db"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TIMEZONE", "Mars/Olympus", "carebot：CAREBOT_TIMEZONE「Mars/Olympus」不是已知的时区"),
        ("DATABASE_URL", "mysql://x", "carebot：CAREBOT_DATABASE_URL 不对：请写成 sqlite:///"),
        ("DATA_KEY", "changeme", "carebot：CAREBOT_DATA_KEY 的格式不对：应是 44 个字符"),
        ("SIMULATOR", "perhaps", "carebot：CAREBOT_SIMULATOR「perhaps」应是 true 或 false。"),
        ("OUTBOX_LEASE_SECONDS", "0", "carebot：CAREBOT_OUTBOX_LEASE_SECONDS「0」不能小于 1。"),
        ("HTTP_TIMEOUT", "soon", "carebot：CAREBOT_HTTP_TIMEOUT「soon」应是数字。"),
    ],
)
def test_invalid_value_is_one_chinese_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv("CAREBOT_DATA_KEY", DATA_KEY)
    monkeypatch.setenv(f"CAREBOT_{name}", value)

    with pytest.raises(SettingsError) as caught:
        load_settings()

    [line] = caught.value.lines()
    assert line.startswith(expected)
    assert "changeme" not in line  # a secret's value is never echoed


def test_every_invalid_variable_gets_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREBOT_DATA_KEY", "changeme")
    monkeypatch.setenv("CAREBOT_TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("CAREBOT_DATABASE_URL", "mysql://admin:hunter2@db/carebot")

    with pytest.raises(SettingsError) as caught:
        load_settings()

    database, timezone, key = caught.value.lines()
    assert database.startswith("carebot：CAREBOT_DATABASE_URL 不对")
    assert timezone.startswith("carebot：CAREBOT_TIMEZONE「Mars/Olympus」")
    assert key.startswith("carebot：CAREBOT_DATA_KEY 的格式不对")
    assert "hunter2" not in str(caught.value)
    assert caught.value.database_url is None  # so nobody is told the database is new


def test_a_pasted_key_with_a_trailing_newline_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREBOT_DATA_KEY", f" {DATA_KEY}\n")

    assert load_settings().data_key.get_secret_value() == DATA_KEY
