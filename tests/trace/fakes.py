"""A scripted TRACE behind `httpx.MockTransport`, for unit tests of the client."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from prometheus_client import REGISTRY

from service.trace.login import LOGIN_PATH
from service.trace.settings import TraceSettings

SECRET = "unit-client-secret-do-not-log"
Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


def settings(**overrides: Any) -> TraceSettings:
    """Fast settings: tiny backoffs so retry tests finish in milliseconds."""
    values: dict[str, Any] = {
        "TRACE_API_URL": "https://trace.test",
        "TRACE_CLIENT_ID": "unit-client",
        "TRACE_CLIENT_SECRET": SECRET,
        "TRACE_AUDIENCE": "https://audience.test",
        "retry_wait_initial": 0.01,
        "retry_wait_max": 0.05,
        "retry_wait_jitter": 0.01,
        "token_retry_initial": 0.02,
        "token_retry_max": 0.1,
        "token_wait_timeout": 2.0,
    }
    values.update(overrides)
    return TraceSettings(_env_file=None, **values)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


class FakeTrace:
    """Issues unique tokens, accepts only live ones, and answers API calls via `api`.

    `login_failures` holds responses (or exceptions) served by the next logins, in order;
    `login_outage`, while set, is the status of every login; `login_gate`, when set,
    holds every login until it is opened.
    """

    def __init__(self, lifetime: float = 3600.0) -> None:
        self.lifetime = lifetime
        self.issued: list[str] = []
        self.login_attempts: list[float] = []
        self.login_failures: deque[httpx.Response | Exception] = deque()
        self.login_outage: int | None = None
        self.login_gate: asyncio.Event | None = None
        self.valid: set[str] = set()
        self.requests: list[tuple[float, httpx.Request]] = []
        self.bearers: list[str] = []
        self.api: Handler = self._ok

    @property
    def logins(self) -> int:
        return len(self.login_attempts)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def revoke(self) -> None:
        self.valid.clear()

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == LOGIN_PATH:
            return await self._login(request)
        self.requests.append((time.monotonic(), request))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.bearers.append(token)
        if token not in self.valid:
            return json_response(401, {"error": "unauthorized"})
        return await self.api(request)

    async def _login(self, request: httpx.Request) -> httpx.Response:
        self.login_attempts.append(time.monotonic())
        if self.login_gate is not None:
            await self.login_gate.wait()
        if self.login_outage is not None:
            return json_response(self.login_outage, {"error": "unavailable"})
        if self.login_failures:
            failure = self.login_failures.popleft()
            if isinstance(failure, Exception):
                raise failure
            return failure
        value = f"tok-{len(self.issued) + 1}-{uuid.uuid4().hex}"
        self.issued.append(value)
        self.valid.add(value)
        body = {"access_token": value, "token_type": "Bearer", "expires_in": self.lifetime}
        return json_response(200, body)

    @staticmethod
    async def _ok(request: httpx.Request) -> httpx.Response:
        return json_response(200, {})


def sample(name: str, **labels: str) -> float:
    """Current value of a Prometheus sample of this process (0 if never touched)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def busiest_window(times: list[float], window: float) -> int:
    """Most timestamps in any half-open interval of length `window`."""
    ordered = sorted(times)
    return max(
        sum(1 for other in ordered[index:] if other < start + window) for index, start in enumerate(ordered)
    )
