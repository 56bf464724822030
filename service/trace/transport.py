"""The wire under `TraceClient`: logins on a pool of their own, CRM calls rate limited."""

from __future__ import annotations

import time

import httpx

from service.trace.hints import server_wait
from service.trace.login import LOGIN_PATH
from service.trace.profile import ResetUnit
from service.trace.ratelimit import RateLimiter

DEADLINE = "trace_bridge.rate_limit_deadline"
"""Request extension: monotonic deadline of a rate-limited call (absent: not limited)."""


class TraceTransport(httpx.AsyncBaseTransport):
    """Routes every request on the wire, including the auth flow's re-send after a 401.

    Logins get a pool of their own because httpcore hands a freed connection to whichever
    request grabs it first: a pool kept busy by uploads or lead pages can starve, for
    seconds, the very renewal that keeps those calls authorised. Requests carrying
    `DEADLINE` hold a `RateLimiter` slot while on the wire (so the 401 re-send counts
    too), and TRACE's own headers (`X-RateLimit-Remaining: 0`, `Retry-After`) pause
    every coroutine at once.
    """

    def __init__(
        self,
        api: httpx.AsyncBaseTransport,
        login: httpx.AsyncBaseTransport,
        limiter: RateLimiter,
        unit: ResetUnit,
    ) -> None:
        self._api = api
        self._login = login
        self._limiter = limiter
        self._unit = unit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(LOGIN_PATH):
            return await self._login.handle_async_request(request)
        if DEADLINE not in request.extensions:
            return await self._api.handle_async_request(request)
        async with self._limiter.slot(request.extensions[DEADLINE]):
            response = await self._api.handle_async_request(request)
        wait = server_wait(response.headers, self._unit, now=time.time())
        if wait:
            self._limiter.pause_until(time.monotonic() + wait)
        return response

    async def aclose(self) -> None:
        await self._api.aclose()
        if self._login is not self._api:
            await self._login.aclose()
