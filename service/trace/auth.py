"""httpx authentication for TRACE: the shared Bearer token, with one recovery from a 401."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import httpx

from service.trace.token import TokenManager


class TraceAuth(httpx.Auth):
    """Sends the process-wide token; on a 401 renews it and re-sends the request ONCE.

    A 401 usually means the token was revoked or expired in transit, which one renewal
    fixes. A second 401 means the token is fine but TRACE still refuses it (scope, audience),
    so the response is handed back and classified as `AuthError` instead of looping.
    Invalidating by generation makes a hundred concurrent 401s on one token cost one login.
    """

    requires_request_body = True  # the multipart upload must be re-sendable after a 401

    def __init__(self, tokens: TokenManager) -> None:
        self._tokens = tokens

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._tokens.get()
        request.headers["Authorization"] = f"Bearer {token.value}"
        response = yield request
        if response.status_code != 401:
            return
        self._tokens.invalidate(token.generation)
        token = await self._tokens.get()
        request.headers["Authorization"] = f"Bearer {token.value}"
        yield request
