"""What can go wrong talking to TRACE, as one small hierarchy.

Callers decide between "try again later" and "dead-letter" by type or by `.retryable`;
`.kind` is a short, fixed label for metrics and logs. Every message passes through the
secret registry, so a TRACE error body that echoes a credential cannot leak it.
"""

from __future__ import annotations

from typing import ClassVar

from service.logs import secrets

BODY_LIMIT = 2048


class TraceError(Exception):
    """Base of every TRACE failure; `.endpoint` is the short route name, `.status` the HTTP code."""

    kind: ClassVar[str] = "trace"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, endpoint: str, status: int | None = None) -> None:
        super().__init__(secrets.scrub(message))
        self.endpoint = endpoint
        self.status = status


class AuthError(TraceError):
    """TRACE refused a token it issued, even after one refresh: scope or client misconfigured."""

    kind = "auth"


class CredentialsError(AuthError):
    """m2m-login rejected the client id, secret or audience: a configuration problem."""

    kind = "credentials"


class ForbiddenError(AuthError):
    """The token is valid but lacks the scope or policy for this route; permanent."""

    kind = "forbidden"


class TokenUnavailableError(TraceError):
    """No valid token could be had in time; `last_error` is why the last login failed."""

    kind = "token_unavailable"
    retryable = True

    def __init__(self, message: str, *, last_error: TraceError | None) -> None:
        super().__init__(message, endpoint="login", status=last_error.status if last_error else None)
        self.last_error = last_error


class RejectedError(TraceError):
    """TRACE answered 4xx: the request itself is wrong, so sending it again cannot help."""

    kind = "rejected"

    def __init__(
        self, message: str, *, endpoint: str, status: int, messages: tuple[str, ...], body: str
    ) -> None:
        super().__init__(message, endpoint=endpoint, status=status)
        self.messages = tuple(secrets.scrub(item) for item in messages)
        self.body = secrets.scrub(body[:BODY_LIMIT])


class UnavailableError(TraceError):
    """TRACE could not be reached or answered 5xx; `retry_after` is its hint in seconds, if any."""

    kind = "unavailable"
    retryable = True

    def __init__(
        self, message: str, *, endpoint: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, endpoint=endpoint, status=status)
        self.retry_after = retry_after


class RateLimitedError(UnavailableError):
    """TRACE (or our own limiter, to spare it) said "not now"; `retry_after` says until when."""

    kind = "rate_limited"


class UnexpectedResponseError(TraceError):
    """TRACE answered something we cannot interpret; guessing could mis-settle offers."""

    kind = "unexpected"
