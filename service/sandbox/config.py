"""Sandbox settings: what TRACE would fix for us (clients, limits) plus the test knobs.

Loadable from `TRACE_SANDBOX_*` variables like every other section, but tests build it
directly with keyword overrides. Nothing here is a real secret: the demo credentials and
the signing key are printed on start and written in docs/sandbox.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from service.config import Section

AUDIENCE = "https://trace-sandbox.local"
SCOPE_LEADS = "read:leads"
SCOPE_UPLOAD = "upload:tariffs"
POLICY_LEADS = "LeadsAccess"
DEMO_JWT_SECRET = "trace-sandbox-demo-signing-key-not-a-secret"  # noqa: S105


class ClientConfig(BaseModel):
    """One M2M client as a TRACE administrator would issue it at onboarding."""

    model_config = ConfigDict(frozen=True)

    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    audience: str = AUDIENCE
    scopes: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()


def default_clients() -> list[ClientConfig]:
    """Full access, leads only, upload only: enough to exercise every 403 path."""
    return [
        ClientConfig(
            client_id="sandbox-client",
            client_secret=SecretStr("sandbox-secret"),
            scopes=(SCOPE_LEADS, SCOPE_UPLOAD),
            policies=(POLICY_LEADS,),
        ),
        ClientConfig(
            client_id="sandbox-leads-only",
            client_secret=SecretStr("sandbox-secret"),
            scopes=(SCOPE_LEADS,),
            policies=(POLICY_LEADS,),
        ),
        ClientConfig(
            client_id="sandbox-upload-only",
            client_secret=SecretStr("sandbox-secret"),
            scopes=(SCOPE_UPLOAD,),
        ),
    ]


class RejectMode(StrEnum):
    REQUEST = "request"
    OFFER = "offer"


class RejectRule(BaseModel):
    """A stand-in business rule: TRACE's real rejection reasons are undocumented (SIM)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contains: str = Field(min_length=1)
    mode: RejectMode = RejectMode.OFFER


class Force429Scope(StrEnum):
    LEADS = "leads"
    ALL = "all"


class RouteGroup(StrEnum):
    """Which TRACE API a route belongs to; faults and outages are aimed at groups."""

    LOGIN = "login"
    UPLOAD = "upload"
    LEADS = "leads"


class OutageScope(StrEnum):
    ALL = "all"
    LOGIN = "login"
    UPLOAD = "upload"
    LEADS = "leads"

    def covers(self, group: RouteGroup) -> bool:
        return self is OutageScope.ALL or self.value == group.value


class Faults(BaseModel):
    """Misbehaviour switched on at start or at run time (`PUT /_sandbox/faults`)."""

    model_config = ConfigDict(extra="forbid")

    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_statuses: list[int] = Field(default_factory=lambda: [500, 503], min_length=1)
    error_on_login: bool = False
    latency_ms: float = Field(default=0.0, ge=0.0)
    force_429: int = Field(default=0, ge=0)
    force_429_scope: Force429Scope = Force429Scope.LEADS
    retry_after: int = Field(default=1, ge=0)
    reject_names: list[RejectRule] = Field(default_factory=list)

    @field_validator("error_statuses")
    @classmethod
    def _statuses_are_errors(cls, value: list[int]) -> list[int]:
        if any(not 400 <= status <= 599 for status in value):
            raise ValueError("error_statuses must be HTTP error codes (400-599)")
        return value


class Outage(BaseModel):
    """Answer 503 on `scope` for `seconds` (0 ends a running outage)."""

    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(ge=0.0)
    scope: OutageScope = OutageScope.ALL


class SandboxConfig(Section):
    """Everything that shapes one sandbox run; tests scale time down through it."""

    model_config = SettingsConfigDict(env_prefix="TRACE_SANDBOX_")
    title: ClassVar[str] = "TRACE sandbox"

    seed: int = Field(default=42, description="Seed of lead data and of the fault RNG.")
    lead_count: int = Field(default=250, ge=0, description="Leads generated at start.")
    token_lifetime: float = Field(default=86400.0, gt=0, description="Token lifetime, seconds.")
    rate_limit: int = Field(default=100, ge=1, description="CRM requests per window and client.")
    rate_window: float = Field(default=60.0, gt=0, description="CRM fixed rate window, seconds.")
    jwt_secret: SecretStr = Field(
        default=SecretStr(DEMO_JWT_SECRET), description="HS256 key of tokens and file URLs."
    )
    clients: list[ClientConfig] = Field(default_factory=default_clients, description="M2M clients.")
    faults: Faults = Field(default_factory=Faults, description="Faults active from the start.")
    outage: Outage | None = Field(default=None, description="Outage starting with the server.")
    base_time: datetime | None = Field(default=None, description="Seeded leads end here (now).")
    request_log_size: int = Field(default=2000, ge=1, description="Request records kept in stats.")

    @field_validator("jwt_secret")
    @classmethod
    def _key_is_long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (HS256 key)")
        return value

    @field_validator("base_time")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def client(self, client_id: str) -> ClientConfig | None:
        return next((c for c in self.clients if c.client_id == client_id), None)
