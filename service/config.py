"""Configuration: environment variables (and an optional `.env`), validated at start-up.

Each part of the service owns a settings section (a `Section` subclass) with its own
variable prefix. `load` validates the sections a command needs and turns every problem
into a `ConfigError` that names the variable, never its value, so secrets stay out of
terminals and logs.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

S = TypeVar("S", bound="Section")


class ConfigError(Exception):
    """Raised when the environment does not describe a runnable service.

    The message is one line per problem, each naming the variable; values are never
    echoed because some of them are secrets.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Section(BaseSettings):
    """Base of every settings section: shared sources and the README table hooks."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        validate_default=True,
        validate_by_name=True,
        validate_by_alias=True,
    )
    title: ClassVar[str] = ""

    @classmethod
    def env_name(cls, field: str) -> str:
        """The environment variable that sets `field`."""
        info = cls.model_fields[field]
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            return str(alias.choices[0]).upper()
        if isinstance(alias, str):
            return alias.upper()
        prefix = cls.model_config.get("env_prefix", "")
        return f"{prefix}{field}".upper()


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class ServiceSettings(Section):
    """Process-wide settings: state store, health/metrics endpoint and logging."""

    model_config = SettingsConfigDict(env_prefix="TRACE_BRIDGE_")
    title: ClassVar[str] = "Service"

    state_url: str = Field(
        default="sqlite:///trace-bridge.db",
        pattern=r"^(sqlite:///.+|postgres(ql)?://.+)$",
        description="State store: `sqlite:///path` (one replica) or `postgresql://…` (several).",
    )
    http_host: str = Field(default="0.0.0.0", description="Bind address of health and metrics.")  # noqa: S104
    http_port: int = Field(
        default=8080, ge=0, le=65535, description="Port of `/healthz`, `/readyz`, `/metrics`."
    )
    log_level: LogLevel = Field(default=LogLevel.INFO, description="DEBUG, INFO, WARNING or ERROR.")
    log_format: LogFormat = Field(default=LogFormat.JSON, description="`json` lines or `console`.")


class AmqpSettings(Section):
    """Broker connection. Names of exchanges and queues live with the feature using them."""

    model_config = SettingsConfigDict(env_prefix="TRACE_BRIDGE_AMQP_")
    title: ClassVar[str] = "RabbitMQ"

    url: SecretStr = Field(
        default=SecretStr("amqp://guest:guest@localhost:5672/"),
        validation_alias=AliasChoices("AMQP_URL"),
        description="Broker URL; its password is masked wherever it is shown.",
    )
    heartbeat: int = Field(default=10, ge=1, le=600, description="AMQP heartbeat, seconds.")
    connect_timeout: float = Field(default=10.0, gt=0, description="Connect timeout, seconds.")
    reconnect_initial: float = Field(default=0.5, gt=0, description="First reconnect backoff, seconds.")
    reconnect_max: float = Field(default=30.0, gt=0, description="Longest reconnect backoff, seconds.")


def env_problems(error: ValidationError, section: type[Section]) -> list[str]:
    """One line per invalid variable, without the offending value."""
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        if not item["loc"]:  # a model validator: its message names the variables itself
            problems.append(item["msg"].removeprefix("Value error, "))
            continue
        field = str(item["loc"][0])
        name = section.env_name(field) if field in section.model_fields else field.upper()
        message = "is required but not set" if item["type"] == "missing" else item["msg"]
        problems.append(f"{name}: {message}")
    return problems


def load(section: type[S], **overrides: Any) -> S:
    """Validate one section from the environment (overrides win, for tests and CLI flags)."""
    try:
        return section(**overrides)
    except ValidationError as error:
        raise ConfigError(env_problems(error, section)) from None


def load_all(sections: Iterable[type[Section]]) -> dict[type[Section], Section]:
    """Validate several sections and report the problems of all of them at once."""
    loaded: dict[type[Section], Section] = {}
    problems: list[str] = []
    for section in sections:
        try:
            loaded[section] = load(section)
        except ConfigError as error:
            problems.extend(error.problems)
    if problems:
        raise ConfigError(problems)
    return loaded
