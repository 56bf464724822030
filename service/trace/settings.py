"""Credentials and HTTP tuning for TRACE (what is documented or ours to choose)."""

from __future__ import annotations

from typing import ClassVar

import httpx
from pydantic import AliasChoices, AnyHttpUrl, Field, PrivateAttr, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from service.config import Section
from service.trace.proxy import proxy_for


class TraceSettings(Section):
    """How to reach TRACE and how hard to try.

    The four credential variables keep TRACE's own names so other teams' deployment
    files work unchanged; every tuning knob is prefixed `TRACE_BRIDGE_TRACE_`.
    """

    model_config = SettingsConfigDict(env_prefix="TRACE_BRIDGE_TRACE_")
    title: ClassVar[str] = "TRACE API"

    api_url: AnyHttpUrl = Field(
        validation_alias=AliasChoices("TRACE_API_URL"),
        description="API domain from onboarding, e.g. `https://api.example.com`.",
    )
    client_id: str = Field(
        min_length=1, validation_alias=AliasChoices("TRACE_CLIENT_ID"), description="M2M client id."
    )
    client_secret: SecretStr = Field(
        validation_alias=AliasChoices("TRACE_CLIENT_SECRET"), description="M2M client secret."
    )
    audience: str = Field(
        min_length=1, validation_alias=AliasChoices("TRACE_AUDIENCE"), description="M2M audience."
    )

    connect_timeout: float = Field(default=5.0, gt=0, description="TCP/TLS connect timeout, seconds.")
    read_timeout: float = Field(default=30.0, gt=0, description="Read timeout per response, seconds.")
    write_timeout: float = Field(default=30.0, gt=0, description="Write timeout per request, seconds.")
    pool_timeout: float = Field(default=10.0, gt=0, description="Wait for a pooled connection, seconds.")
    max_connections: int = Field(default=20, ge=1, description="Size of the HTTP connection pool.")

    retry_attempts: int = Field(default=6, ge=1, description="Attempts per call, first one included.")
    retry_deadline: float = Field(
        default=45.0, gt=0, description="Overall deadline per call incl. retries, seconds."
    )
    retry_wait_initial: float = Field(default=0.2, ge=0, description="First retry backoff, seconds.")
    retry_wait_max: float = Field(default=10.0, ge=0, description="Longest retry backoff, seconds.")
    retry_wait_jitter: float = Field(
        default=0.5, ge=0, description="Random jitter added to each backoff, seconds."
    )

    crm_rate_limit: int = Field(
        default=100, ge=1, description="CRM requests allowed per rate window (TRACE: 100)."
    )
    crm_rate_window: float = Field(default=60.0, gt=0, description="CRM rate window, seconds (TRACE: 60).")
    crm_page_size: int = Field(
        default=100, ge=1, le=100, description="Leads per CRM page (TRACE: at most 100)."
    )

    token_refresh_ratio: float = Field(
        default=0.8, gt=0, lt=1, description="Refresh the token when this share of its lifetime has passed."
    )
    token_refresh_margin: float = Field(
        default=60.0, ge=0, description="…and never later than this many seconds before expiry."
    )
    token_retry_initial: float = Field(
        default=1.0, gt=0, description="First backoff after a failed login, seconds."
    )
    token_retry_max: float = Field(
        default=60.0, gt=0, description="Longest backoff between failed logins, seconds."
    )
    token_wait_timeout: float = Field(
        default=10.0, gt=0, description="How long a caller waits for a token before `TokenUnavailableError`."
    )

    @model_validator(mode="after")
    def _waits_are_ordered(self) -> TraceSettings:
        if self.retry_wait_initial > self.retry_wait_max:
            raise ValueError("TRACE_BRIDGE_TRACE_RETRY_WAIT_INITIAL must not exceed ..._RETRY_WAIT_MAX")
        if self.token_retry_initial > self.token_retry_max:
            raise ValueError("TRACE_BRIDGE_TRACE_TOKEN_RETRY_INITIAL must not exceed ..._TOKEN_RETRY_MAX")
        return self

    _proxy: httpx.Proxy | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _choose_proxy(self) -> TraceSettings:
        self._proxy = proxy_for(str(self.api_url))  # a ProxyConfigError (a ValueError) names the variable
        return self

    @property
    def proxy(self) -> httpx.Proxy | None:
        """The outbound proxy for TRACE, chosen from `HTTPS_PROXY` & co. when these settings loaded."""
        return self._proxy
