"""The CRM rate limit: a fixed window of `rate_window` seconds per client id (SIM).

TRACE documents 100 requests per minute and the two headers; the window kind, the key and
the unit of `X-RateLimit-Reset` are unknown. A fixed window is the harshest plausible
choice for a client (a burst at the end of one window and the start of the next passes
here but would fail a sliding limit), which is why the bridge's own limiter is sliding.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    remaining: int
    reset_epoch: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_epoch),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


@dataclass
class _Window:
    ends: float  # monotonic
    reset_epoch: int  # fixed per window, so every response of a window names the same reset
    used: int = 0


class FixedWindowLimiter:
    """Counts requests per key in windows that start with the key's first request."""

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._wall = wall
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> RateDecision:
        """Count one request of `key` and say whether it may pass."""
        now = self._clock()
        with self._lock:
            current = self._windows.get(key)
            if current is None or now >= current.ends:
                reset = math.ceil(self._wall() + self._window)
                current = self._windows[key] = _Window(ends=now + self._window, reset_epoch=reset)
            current.used += 1
            used, ends, reset = current.used, current.ends, current.reset_epoch
        return RateDecision(
            allowed=used <= self._limit,
            remaining=max(0, self._limit - used),
            reset_epoch=reset,
            retry_after=max(1, math.ceil(ends - now)),
        )

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
