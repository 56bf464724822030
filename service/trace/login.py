"""One M2M login: the documented credential exchange, turned into a `Token` or a typed error."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from service import metrics
from service.trace.errors import CredentialsError, UnavailableError, UnexpectedResponseError
from service.trace.profile import ResetUnit
from service.trace.responses import json_body, raise_for_status
from service.trace.settings import TraceSettings

LOGIN_PATH = "/api/auth/m2m-login"  # D
ENDPOINT = "login"
Clock = Callable[[], float]


def refresh_after(lifetime: float, ratio: float, margin: float) -> float:
    """Seconds after login to renew: at `ratio` of the lifetime, but at least `margin`
    seconds before expiry when the lifetime leaves room for it (else the ratio rules)."""
    by_ratio = lifetime * ratio
    by_margin = lifetime - margin
    return by_margin if 0 < by_margin < by_ratio else by_ratio


@dataclass(frozen=True, slots=True, repr=False)
class Token:
    """One issued access token. Times are on the manager's monotonic clock, from when the
    login request was SENT, so network delay can only make us renew early, never late."""

    value: str
    generation: int
    issued_at: float
    lifetime: float
    refresh_at: float

    @property
    def expires_at(self) -> float:
        return self.issued_at + self.lifetime

    def __repr__(self) -> str:
        return f"Token(generation={self.generation}, lifetime={self.lifetime}, value=***)"


async def login(http: httpx.AsyncClient, settings: TraceSettings, *, generation: int, clock: Clock) -> Token:
    """Exchange the client credentials for token number `generation`.

    Raises `CredentialsError` on 401/403 (configuration), `UnavailableError` on network
    trouble or 5xx, `UnexpectedResponseError` on a body without a usable token.
    """
    sent_at = clock()
    body = json_body(ENDPOINT, await _post(http, settings))
    value, lifetime = _field(body, "access_token"), _field(body, "expires_in")
    if not isinstance(value, str) or not value or not isinstance(lifetime, int | float) or lifetime <= 0:
        raise UnexpectedResponseError(
            f"{ENDPOINT}: response lacks access_token or a positive expires_in",
            endpoint=ENDPOINT,
            status=200,
        )
    delay = refresh_after(lifetime, settings.token_refresh_ratio, settings.token_refresh_margin)
    return Token(value, generation, sent_at, float(lifetime), sent_at + delay)


async def _post(http: httpx.AsyncClient, settings: TraceSettings) -> httpx.Response:
    body = {
        "clientId": settings.client_id,
        "clientSecret": settings.client_secret.get_secret_value(),
        "audience": settings.audience,
    }
    try:
        response = await http.post(LOGIN_PATH, json=body)
    except httpx.RequestError as error:
        metrics.trace_requests.labels(endpoint=ENDPOINT, status="error").inc()
        raise UnavailableError(f"{ENDPOINT}: {type(error).__name__}", endpoint=ENDPOINT) from error
    metrics.trace_requests.labels(endpoint=ENDPOINT, status=str(response.status_code)).inc()
    if response.status_code in (401, 403):
        raise CredentialsError(
            f"{ENDPOINT}: HTTP {response.status_code}: TRACE rejected client id, secret or audience",
            endpoint=ENDPOINT,
            status=response.status_code,
        )
    # m2m-login documents no rate-limit headers; AUTO reads any that appear defensively.
    raise_for_status(ENDPOINT, response, ResetUnit.AUTO, now=time.time())
    return response


def _field(body: Any, name: str) -> Any:
    return body.get(name) if isinstance(body, dict) else None
