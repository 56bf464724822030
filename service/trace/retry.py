"""Retrying one TRACE call: stamina's jittered exponential backoff, bent to TRACE's hints.

Only `UnavailableError` (network, timeouts, 429, 500, 502-504) is retried. A wait TRACE
asks for (`Retry-After`, `X-RateLimit-Reset`) replaces the backoff, and no wait may run
past the call's overall deadline: then the call fails at once with the last error, which
is better than a caller that believes it still has time.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import stamina

from service.logs import get_logger
from service.trace.errors import UnavailableError
from service.trace.settings import TraceSettings

T = TypeVar("T")
log = get_logger(__name__)


class RetryPolicy:
    """The retry budget of ONE call; `deadline` is monotonic, for waits inside an attempt."""

    def __init__(self, settings: TraceSettings) -> None:
        self._settings = settings
        self.deadline = time.monotonic() + settings.retry_deadline
        self._next_wait = 0.0

    async def run(self, attempt_once: Callable[[], Awaitable[T]]) -> T:
        """Await `attempt_once()` until it succeeds, fails permanently or the budget is spent."""
        settings = self._settings
        async for attempt in stamina.retry_context(
            on=self._backoff,
            attempts=settings.retry_attempts,
            timeout=settings.retry_deadline,
            wait_initial=settings.retry_wait_initial,
            wait_max=settings.retry_wait_max,
            wait_jitter=settings.retry_wait_jitter,
        ):
            self._next_wait = attempt.next_wait
            with attempt:
                return await attempt_once()
        raise AssertionError("stamina ends with a result or the last error")

    def _backoff(self, error: Exception) -> bool | float:
        """stamina hook: False stops, True keeps its own backoff, a float replaces it."""
        if not isinstance(error, UnavailableError):
            return False
        remaining = self.deadline - time.monotonic()
        hinted = error.retry_after
        longest = hinted if hinted is not None else self._longest_backoff()
        if longest > remaining:
            log.warning(
                "trace.retry_abandoned",
                endpoint=error.endpoint,
                wait_s=round(longest, 3),
                remaining_s=round(remaining, 3),
            )
            return False
        return True if hinted is None else hinted

    def _longest_backoff(self) -> float:
        """Upper bound of stamina's next backoff: its jitter-free value plus full jitter."""
        settings = self._settings
        return min(settings.retry_wait_max, self._next_wait + settings.retry_wait_jitter)
