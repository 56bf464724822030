"""The gate in front of every TRACE route: latency, faults, Bearer check, rate limit, stats.

Order matters and mirrors a real deployment: a gateway fails before anything looks at the
token, the token is checked before the per-client rate limit can be charged, and every
answer (including injected ones) lands in the request log.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.logs import get_logger
from service.sandbox.auth import Principal, TokenCheck, TokenStatus
from service.sandbox.config import RouteGroup
from service.sandbox.faults import FaultResponse
from service.sandbox.state import SandboxState
from service.sandbox.stats import RequestRecord

log = get_logger(__name__)

Handler = Callable[[Request, Principal | None], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]

_TOKEN_COUNTERS = {
    TokenStatus.EXPIRED: "expired_token_requests",
    TokenStatus.REVOKED: "revoked_token_requests",
    TokenStatus.INVALID: "invalid_token_requests",
}


@dataclass(frozen=True)
class RouteSpec:
    """A TRACE route: its stats name, fault group and what its caller needs."""

    name: str
    group: RouteGroup | None  # None: no faults (the local file store)
    scope: str | None = None
    policy: str | None = None
    rate_limited: bool = False


def sandbox_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def error(
    status: int, code: str, message: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The sandbox's error body (SIM, crm-leads.md §4.4): `{"error": code, "message"?}`."""
    body = {"error": code} if message is None else {"error": code, "message": message}
    return JSONResponse(body, status_code=status, headers=headers)


def guarded(route: RouteSpec, handler: Handler) -> Endpoint:
    """Wrap `handler` so it only runs for a healthy, authorised, non-throttled request."""

    async def endpoint(request: Request) -> Response:
        state = sandbox_state(request)
        arrived, started = time.time(), time.perf_counter()
        check = state.tokens.check(request.headers.get("authorization")) if route.scope else None
        if check is not None and check.status in _TOKEN_COUNTERS:
            state.stats.bump(_TOKEN_COUNTERS[check.status])
        response = await _respond(route, handler, request, state, check)
        duration_ms = round((time.perf_counter() - started) * 1000, 3)
        client = getattr(request.state, "client_id", None)
        record = RequestRecord(
            arrived, request.method, route.name, request.url.path, response.status_code, client, duration_ms
        )
        state.stats.record(record)
        log.debug(
            "sandbox.request",
            route=route.name,
            status=response.status_code,
            client=client,
            duration_ms=duration_ms,
        )
        return response

    return endpoint


async def _injected_fault(route: RouteSpec, state: SandboxState) -> FaultResponse | None:
    if route.group is None:
        return None
    latency = state.faults.latency()
    if latency > 0:
        await asyncio.sleep(latency)
    return state.faults.intercept(route.group)


async def _respond(
    route: RouteSpec, handler: Handler, request: Request, state: SandboxState, check: TokenCheck | None
) -> Response:
    principal = check.principal if check is not None else None
    if principal is not None:
        request.state.client_id = principal.client_id
    fault = await _injected_fault(route, state)
    if fault is not None:
        return JSONResponse(fault.body, status_code=fault.status, headers=fault.headers or None)
    if check is not None:
        if principal is None:
            return error(401, "unauthorized")
        if route.scope not in principal.scopes or (route.policy and route.policy not in principal.policies):
            return error(403, "forbidden")
    headers: dict[str, str] = {}
    if route.rate_limited and principal is not None:
        decision = state.limiter.hit(principal.client_id)
        headers = decision.headers()
        if not decision.allowed:
            return error(429, "rate_limited", headers=headers)
    response = await handler(request, principal)
    response.headers.update(headers)
    return response
