"""Runtime settings from CAREBOT_* environment variables (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.crypto import InvalidKeyError, validate_key


class SettingsError(Exception):
    """Settings are invalid; the message is one human-readable line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAREBOT_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/carebot.db"
    timezone: str = "Asia/Shanghai"
    data_key: SecretStr
    simulator: bool = False
    simulator_token: SecretStr | None = None
    policy_file: Path | None = None
    log_format: str = "text"
    log_level: str = "INFO"
    hotline: str = "400-161-9995"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("data_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr) -> SecretStr:
        try:
            validate_key(value.get_secret_value())
        except InvalidKeyError as exc:
            raise ValueError(str(exc)) from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value not in {"text", "json"}:
            raise ValueError("must be text or json")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one readable SettingsError line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = "_".join(str(part) for part in error["loc"]).upper()
            reason = error["msg"].removeprefix("Value error, ")
            if error["type"] == "missing":
                reason = "is required"
                if field == "DATA_KEY":
                    reason += " (generate one with `carebot keys new`)"
            problems.append(f"CAREBOT_{field} {reason}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
