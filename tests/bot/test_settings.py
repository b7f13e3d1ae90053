"""Settings: defaults, and one clear line for each invalid value."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings
from tests.conftest import DATA_KEY


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "TIMEZONE", "DATA_KEY", "SIMULATOR", "POLICY_FILE"):
        monkeypatch.delenv(f"CAREBOT_{name}", raising=False)


def test_defaults_from_the_issue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREBOT_DATA_KEY", DATA_KEY)

    settings = load_settings()

    assert settings.database_url == "sqlite:///var/carebot.db"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.simulator is False


def test_missing_key_says_how_to_make_one() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings()

    message = str(caught.value)
    assert "CAREBOT_DATA_KEY is required" in message and "carebot keys new" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TIMEZONE", "Mars/Olympus", "CAREBOT_TIMEZONE unknown time zone"),
        ("DATABASE_URL", "mysql://x", "CAREBOT_DATABASE_URL use sqlite://"),
        ("DATA_KEY", "changeme", "CAREBOT_DATA_KEY must be a urlsafe-base64 32-byte key"),
        ("SIMULATOR", "perhaps", "CAREBOT_SIMULATOR"),
    ],
)
def test_invalid_value_is_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv("CAREBOT_DATA_KEY", DATA_KEY)
    monkeypatch.setenv(f"CAREBOT_{name}", value)

    with pytest.raises(SettingsError) as caught:
        load_settings()

    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)
