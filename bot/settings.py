"""Runtime settings from CAREBOT_* environment variables (pydantic-settings)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, field_validator
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.channels.registry import account_matching_of
from handlers.context import HandlerConfig
from handlers.policy.load import Policy, PolicyError, load_policy
from messages.render import render
from storage.app_role import valid_role_name
from storage.crypto import InvalidKeyError, new_key, validate_key
from storage.safety.words import default_crisis_words

# pydantic's error types → the branch of cli_settings_problem.j2 that explains them
REASONS = {
    "missing": "missing",
    "bool_parsing": "boolean",
    "bool_type": "boolean",
    "int_parsing": "integer",
    "int_from_float": "integer",
    "float_parsing": "number",
    "greater_than_equal": "at_least",
    "less_than_equal": "at_most",
}
LIMITS = {"greater_than_equal": "ge", "less_than_equal": "le"}
HIDDEN = frozenset({"CAREBOT_DATABASE_URL"})  # may carry a password; secrets are never shown


@dataclass(frozen=True, slots=True)
class SettingProblem:
    """One invalid setting: the variable, what is wrong (a template branch) and details."""

    variable: str
    reason: str
    details: Mapping[str, Any] = field(default_factory=dict)


class SettingsError(Exception):
    """Settings are invalid: one problem per variable, each rendered as one Chinese line.

    `database_url` is the (valid) database setting, so that the CLI can tell whether data
    already exists before it suggests a new CAREBOT_DATA_KEY; None when it is itself invalid."""

    def __init__(self, problems: list[SettingProblem], *, database_url: str | None) -> None:
        self.problems = problems
        self.database_url = database_url
        super().__init__("\n".join(self.lines()))

    def lines(self, *, data_exists: bool | None = None) -> list[str]:
        """The problems in Chinese; `data_exists` decides the advice on the data key."""
        return [
            render("cli_settings_problem", problem=problem, data_exists=data_exists)
            for problem in self.problems
        ]

    @property
    def about_data_key(self) -> bool:
        return any(problem.variable == "CAREBOT_DATA_KEY" for problem in self.problems)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAREBOT_", extra="ignore", env_ignore_empty=True)

    database_url: str = "sqlite:///var/carebot.db"
    timezone: str = "Asia/Shanghai"
    data_key: SecretStr
    data_key_previous: SecretStr | None = None
    """During a key rotation (docs/keys.md): the old key, still read; writes use data_key."""
    retention_years: int = Field(default=5, ge=1)
    """Students are archived from 1 September of graduation year + this (storage/retention.py)."""
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
    broadcast_approval_over: int = Field(default=500, ge=0)
    """A broadcast to more people than this needs a second admin's 批准."""
    health_token: SecretStr | None = None
    """Lets a non-loopback client read /healthz's details (X-Health-Token or ?token=)."""
    metrics_token: SecretStr | None = None
    """Lets a non-loopback client scrape /metrics (Authorization: Bearer <token>)."""
    rate_limit_per_minute: int = Field(default=20, ge=0)
    """A person's messages a minute before one notice and silence; 0 turns the limit off."""
    shutdown_seconds: float = Field(default=10.0, ge=0)
    """On SIGTERM: how long open requests, then background handling, may take to finish."""
    db_app_role: str | None = None
    """The PostgreSQL role the service runs as: `carebot db upgrade`, run as the owner, grants
    it every table but UPDATE/DELETE on the audit log (storage/app_role.py, docs/audit.md)."""

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
    def previous_data_key(self) -> str | None:
        previous = self.data_key_previous
        return previous.get_secret_value() if previous is not None else None

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
            raise PydanticCustomError("aes_key", "must be the 43-character EncodingAESKey")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise PydanticCustomError("timezone", "unknown time zone") from exc
        return value

    @field_validator("data_key", "data_key_previous")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        key = value.get_secret_value().strip()  # a space or newline picked up when pasting
        try:
            validate_key(key)
        except InvalidKeyError as exc:
            raise PydanticCustomError("data_key", "not a Fernet key") from exc
        return SecretStr(key)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise PydanticCustomError("database_url", "use sqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("db_app_role")
    @classmethod
    def _role_name(cls, value: str | None) -> str | None:
        if value is not None and not valid_role_name(value):
            raise PydanticCustomError("db_app_role", "must be a plain lower-case role name")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value not in {"text", "json"}:
            raise PydanticCustomError("log_format", "must be text or json")
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
                details = {"file": self.policy_file, "findings": exc.problems}
                problem = SettingProblem("CAREBOT_POLICY_FILE", "policy", details)
                raise SettingsError([problem], database_url=self.database_url) from None
        return self._policy[1]

    def handler_config(self, channels: tuple[str, ...]) -> HandlerConfig:
        """What handlers are given; how each channel addresses people comes from the
        channels' own descriptions (bot.channels.registry)."""
        return HandlerConfig(
            tz=self.tz,
            hotline=self.hotline,
            channels=channels,
            crisis_words=self.crisis_word_list(),
            alert_escalation=timedelta(minutes=self.alert_escalate_minutes),
            policy=self.policy(),
            account_match=account_matching_of(channels),
            broadcast_approval_over=self.broadcast_approval_over,
            rate_limit_per_minute=self.rate_limit_per_minute,
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
    """Build settings, turning validation errors into a SettingsError (one problem per
    variable); the policy file is validated here too, so a process refuses a broken one."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        errors = exc.errors()
        problems = [_problem(error) for error in errors]
        raise SettingsError(problems, database_url=_database_url(overrides, errors)) from None
    settings.policy()
    return settings


def _problem(error: ErrorDetails) -> SettingProblem:
    variable = "CAREBOT_" + "_".join(str(part) for part in error["loc"]).upper()
    kind = error["type"]
    details: dict[str, Any] = {"value": None, "limit": None}
    if kind in LIMITS:
        details["limit"] = (error.get("ctx") or {}).get(LIMITS[kind])
    secret = _is_secret(str(error["loc"][0])) if error["loc"] else True
    if kind != "missing" and not secret and variable not in HIDDEN:
        details["value"] = str(error.get("input"))
    return SettingProblem(variable, REASONS.get(kind, kind), details)


def _database_url(overrides: Mapping[str, object], errors: list[ErrorDetails]) -> str | None:
    """The database setting when it is valid itself: read again with stand-ins (the default,
    or a throwaway data key) for the settings that failed."""
    failed = {str(error["loc"][0]) for error in errors if error["loc"]}
    if "database_url" in failed:
        return None
    stand_ins = {name: Settings.model_fields[name].default for name in failed}
    if "data_key" in failed:
        stand_ins["data_key"] = new_key()
    try:
        return Settings(**{**overrides, **stand_ins}).database_url
    except ValidationError:
        return None


def _is_secret(name: str) -> bool:
    described = Settings.model_fields.get(name)
    annotation = described.annotation if described else None
    return annotation is SecretStr or SecretStr in get_args(annotation)
