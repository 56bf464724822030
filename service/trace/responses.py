"""Turn a TRACE HTTP response into a value or a typed `TraceError`.

One classification for every route, so "what is retryable" is decided in one place:
429, 500, 502, 503 and 504 are transient; 401 (after the auth flow's one refresh) and
403 are authorisation problems; other 4xx mean our request is wrong; anything else is a
response we do not understand.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from service.trace.errors import (
    BODY_LIMIT,
    AuthError,
    ForbiddenError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
    UnexpectedResponseError,
)
from service.trace.hints import server_wait
from service.trace.profile import ResetUnit

TRANSIENT = frozenset({429, 500, 502, 503, 504})
_MESSAGE_KEYS = ("message", "error", "errors", "detail", "title")


def json_body(endpoint: str, response: httpx.Response) -> Any:
    """The parsed JSON body, or `UnexpectedResponseError` naming what arrived instead."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise UnexpectedResponseError(
            f"{endpoint}: HTTP {response.status_code} body is not JSON: {_excerpt(response)}",
            endpoint=endpoint,
            status=response.status_code,
        ) from None


def messages_of(body: Any) -> tuple[str, ...]:
    """TRACE's human-readable reasons from an error body (its shape is undocumented, U)."""
    if not isinstance(body, dict):
        return ()
    found: list[str] = []
    for key in _MESSAGE_KEYS:
        value = body.get(key)
        items = value if isinstance(value, list) else [value]
        found.extend(item if isinstance(item, str) else orjson.dumps(item).decode() for item in items if item)
    return tuple(found)


def raise_for_status(endpoint: str, response: httpx.Response, unit: ResetUnit, *, now: float) -> None:
    """Raise the typed error for a non-2xx response; `now` is wall time for date headers."""
    status = response.status_code
    if 200 <= status < 300:
        return
    reasons = _reasons(response)
    message = (f"{endpoint}: HTTP {status}" + (f": {'; '.join(reasons)}" if reasons else ""))[:BODY_LIMIT]
    if status in TRANSIENT:
        wait = server_wait(response.headers, unit, now=now)
        error = RateLimitedError if status == 429 else UnavailableError
        raise error(message, endpoint=endpoint, status=status, retry_after=wait)
    if status == 401:
        raise AuthError(message, endpoint=endpoint, status=status)
    if status == 403:
        raise ForbiddenError(message, endpoint=endpoint, status=status)
    if 400 <= status < 500:
        raise RejectedError(message, endpoint=endpoint, status=status, messages=reasons, body=response.text)
    raise UnexpectedResponseError(f"{message}: {_excerpt(response)}", endpoint=endpoint, status=status)


def _reasons(response: httpx.Response) -> tuple[str, ...]:
    try:
        return messages_of(orjson.loads(response.content))
    except orjson.JSONDecodeError:
        return ()


def _excerpt(response: httpx.Response) -> str:
    return response.text[:BODY_LIMIT] or "(empty)"
