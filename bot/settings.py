"""Runtime settings from CAREBOT_* environment variables (pydantic-settings)."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from handlers.context import HandlerConfig
from handlers.policy import Policy, PolicyError, load_policy
from storage.crypto import InvalidKeyError, validate_key
from storage.safety import default_crisis_words


class SettingsError(Exception):
    """Settings are invalid; the message is one human-readable line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAREBOT_", extra="ignore", env_ignore_empty=True)

    database_url: str = "sqlite:///var/carebot.db"
    timezone: str = "Asia/Shanghai"
    data_key: SecretStr
    simulator: bool = False
    simulator_token: SecretStr | None = None
    policy_file: Path | None = None
    log_format: str = "text"
    log_level: str = "INFO"
    hotline: str = "400-161-9995"
    http_timeout: float = 10.0
    outbox_lease_seconds: int = Field(default=120, ge=1)
    crisis_words: str | None = None
    alert_escalate_minutes: int = Field(default=120, ge=1)
    health_token: SecretStr | None = None
    """Lets a non-loopback client read /healthz's details (X-Health-Token or ?token=)."""
    shutdown_seconds: float = Field(default=10.0, ge=0)
    """On SIGTERM: how long open requests, then background handling, may take to finish."""

    wecom_corp_id: str | None = None
    wecom_agent_id: int | None = None
    wecom_secret: SecretStr | None = None
    wecom_token: SecretStr | None = None
    wecom_aes_key: SecretStr | None = None
    wecom_api_base: str = "https://qyapi.weixin.qq.com"
    wecom_max_clock_skew: int = 300
    wecom_passive_seconds: float = Field(default=4.0, ge=0, le=4.2)
    """How long a callback waits for a reply to ride passively (WeCom gives up at 5 s)."""

    dingtalk_app_key: str | None = None
    dingtalk_app_secret: SecretStr | None = None
    dingtalk_robot_code: str | None = None
    dingtalk_api_base: str = "https://api.dingtalk.com"
    dingtalk_max_clock_skew: int = 3600

    _policy: tuple[Path | None, Policy] | None = PrivateAttr(default=None)
    """(the file it was read from, the policy): a copy with another file reads its own."""

    @property
    def wecom_enabled(self) -> bool:
        """WeCom is on when corp id, agent id, secret, token and AES key are all set."""
        return None not in (
            self.wecom_corp_id,
            self.wecom_agent_id,
            self.wecom_secret,
            self.wecom_token,
            self.wecom_aes_key,
        )

    @property
    def dingtalk_enabled(self) -> bool:
        return self.dingtalk_app_key is not None and self.dingtalk_app_secret is not None

    @property
    def robot_code(self) -> str | None:
        return self.dingtalk_robot_code or self.dingtalk_app_key

    @field_validator("wecom_aes_key")
    @classmethod
    def _aes_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) != 43:
            raise ValueError("must be the 43-character EncodingAESKey")
        return value

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
        if not value.startswith(("sqlite://", "sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite:// or postgresql+asyncpg://")
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

    def crisis_word_list(self) -> tuple[str, ...]:
        """CAREBOT_CRISIS_WORDS (comma-separated) replaces the shipped list when set."""
        if self.crisis_words is None:
            return default_crisis_words()
        return tuple(
            w.strip() for w in self.crisis_words.replace("，", ",").split(",") if w.strip()
        )

    def policy(self) -> Policy:
        """The policy file (CAREBOT_POLICY_FILE, else the shipped defaults), read once;
        SettingsError (one line listing every problem) when it is invalid."""
        if self._policy is None or self._policy[0] != self.policy_file:
            try:
                self._policy = (self.policy_file, load_policy(self.policy_file))
            except PolicyError as exc:
                where = self.policy_file or "the shipped policy"
                raise SettingsError(
                    f"invalid policy file {where}: " + "; ".join(exc.problems)
                ) from None
        return self._policy[1]

    def handler_config(self, channels: tuple[str, ...]) -> HandlerConfig:
        return HandlerConfig(
            tz=self.tz,
            hotline=self.hotline,
            channels=channels,
            crisis_words=self.crisis_word_list(),
            alert_escalation=timedelta(minutes=self.alert_escalate_minutes),
            policy=self.policy(),
        )


def is_loopback(host: str) -> bool:
    """Whether an address (or bind host) is this machine's loopback."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def simulator_exposed(settings: Settings, *, host: str) -> bool:
    """The simulator (chat as anyone) on a non-loopback bind without a token: refuse."""
    return settings.simulator and settings.simulator_token is None and not is_loopback(host)


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one readable SettingsError line; the
    policy file is validated here too, so a process refuses to start on a broken one."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
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
    settings.policy()
    return settings
