"""Client-side rate limiting of the CRM API, shared by every coroutine of the process.

TRACE allows 100 CRM requests a minute (D) but does not say whether its window is fixed
or sliding (U), so the limiter must be safe for both: a burst must never make TRACE
answer 429.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from service import metrics
from service.logs import get_logger
from service.trace.errors import RateLimitedError

log = get_logger(__name__)


class RateLimiter:
    """At most `limit` requests in ANY `window` seconds, as TRACE would count them.

    A request holds a slot from before it is sent until its response headers arrive and
    is then remembered by that completion time. TRACE sees the request somewhere inside
    that span, so demanding that the last `limit` completions be older than `window`
    before sending (in-flight requests count as brand new) bounds every window on TRACE's
    side, fixed or sliding, whatever the latency. Memory: `limit` timestamps. Waiters are
    served first come, first served.
    """

    def __init__(self, limit: int, window: float, *, name: str) -> None:
        self.name = name
        self._limit = limit
        self._window = window
        self._done: deque[float] = deque(maxlen=limit)
        self._in_flight = 0
        self._paused_until = 0.0
        self._queue = asyncio.Lock()
        self._released = asyncio.Event()

    def pause_until(self, deadline: float) -> None:
        """Send nothing before monotonic time `deadline` (TRACE said the budget is spent)."""
        if deadline > self._paused_until:
            self._paused_until = deadline
            log.info("ratelimit.paused", limiter=self.name, seconds=round(deadline - time.monotonic(), 3))

    @asynccontextmanager
    async def slot(self, deadline: float | None = None) -> AsyncIterator[None]:
        """Hold a slot while one request is on the wire; `RateLimitedError` if none frees
        up before monotonic `deadline`."""
        await self._acquire(deadline)
        try:
            yield
        finally:
            self._in_flight -= 1
            self._done.append(time.monotonic())
            self._released.set()

    async def _acquire(self, deadline: float | None) -> None:
        started = time.monotonic()
        queued = self._queue.locked()
        budget = None if deadline is None else deadline - started
        try:
            async with asyncio.timeout(budget), self._queue:
                slept = await self._wait_for_room(deadline)
        except TimeoutError:
            raise RateLimitedError(
                f"{self.name}: no rate-limit slot before the call's deadline", endpoint=self.name
            ) from None
        self._in_flight += 1
        if queued or slept:
            waited = time.monotonic() - started
            metrics.rate_limit_waits.inc()
            metrics.rate_limit_wait_seconds.inc(waited)
            log.debug("ratelimit.waited", limiter=self.name, wait_ms=round(waited * 1000, 1))

    async def _wait_for_room(self, deadline: float | None) -> bool:
        slept = False
        while (wait := self._wait_time()) != 0.0:
            slept = True
            if wait is None:
                self._released.clear()
                await self._released.wait()
                continue
            if deadline is not None and time.monotonic() + wait > deadline:
                raise RateLimitedError(
                    f"{self.name}: rate limit frees a slot in {wait:.2f} s, after the call's deadline",
                    endpoint=self.name,
                    retry_after=wait,
                )
            await asyncio.sleep(wait)
        return slept

    def _wait_time(self) -> float | None:
        """Seconds until a send is allowed; None while only a completion can tell."""
        free = self._limit - self._in_flight
        if free <= 0:
            return None
        now = time.monotonic()
        room = self._done[-free] + self._window - now if len(self._done) >= free else 0.0
        return max(room, self._paused_until - now, 0.0)
