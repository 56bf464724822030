"""A circuit breaker that pauses uploads while TRACE is down, instead of burning retries.

When uploads keep failing after the client's own retries, pushing every event through
the retry ladder would only move the outage into the DLQ. The breaker opens: handlers
wait (holding their deliveries, so prefetch stops further consumption), one probe is let
through after a pause that grows while TRACE stays down, and its success releases all.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from enum import StrEnum

from service import metrics
from service.logs import get_logger

log = get_logger(__name__)


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class HoldExpiredError(Exception):
    """A caller waited for the breaker longer than it may hold its delivery."""


@dataclass(frozen=True)
class Permit:
    """Leave to call TRACE once; `probe` marks the single trial call of a half-open breaker."""

    probe: bool = False


class CircuitBreaker:
    """Counts consecutive failed events; opens at `threshold`; probes after a growing pause."""

    def __init__(self, threshold: int, open_initial: float, open_max: float) -> None:
        self._threshold = threshold
        self._open_initial = open_initial
        self._open_max = open_max
        self._failures = 0
        self._open_for = open_initial
        self._reopen_at = 0.0
        self._state = BreakerState.CLOSED
        self._probing = False
        self._changed = asyncio.Condition()

    @property
    def state(self) -> BreakerState:
        return self._state

    async def acquire(self, max_wait: float) -> Permit:
        """Wait until a call may proceed; raise `HoldExpiredError` after `max_wait` seconds."""
        deadline = time.monotonic() + max_wait
        async with self._changed:
            while True:
                permit = self._permit()
                if permit is not None:
                    return permit
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise HoldExpiredError(f"circuit breaker open for more than {max_wait:g} s")
                wake = min(remaining, max(self._reopen_at - time.monotonic(), 0.001))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), wake)

    def _permit(self) -> Permit | None:
        if self._state is BreakerState.CLOSED:
            return Permit()
        if self._state is BreakerState.OPEN and time.monotonic() >= self._reopen_at:
            self._set(BreakerState.HALF_OPEN)
        if self._state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            return Permit(probe=True)
        return None

    async def success(self, _: Permit) -> None:
        """Any success proves TRACE answers: close and wake every waiting caller."""
        async with self._changed:
            self._failures = 0
            self._open_for = self._open_initial
            self._probing = False
            if self._state is not BreakerState.CLOSED:
                self._set(BreakerState.CLOSED)
            self._changed.notify_all()

    async def failure(self, permit: Permit) -> None:
        """Count a failure; calls let through before the breaker opened do not extend the pause."""
        async with self._changed:
            if permit.probe:
                self._open_for = min(self._open_for * 2, self._open_max)
                self._open()
            elif self._state is BreakerState.CLOSED:
                self._failures += 1
                if self._failures >= self._threshold:
                    self._open()
            self._changed.notify_all()

    async def release(self, permit: Permit) -> None:
        """A call ended without a verdict (e.g. cancelled): let another caller probe."""
        if permit.probe:
            async with self._changed:
                self._probing = False
                self._changed.notify_all()

    def _open(self) -> None:
        self._probing = False
        self._reopen_at = time.monotonic() + self._open_for
        self._set(BreakerState.OPEN)
        log.warning("breaker.open", failures=self._failures, pause_s=self._open_for)

    def _set(self, state: BreakerState) -> None:
        if state is not self._state:
            log.info("breaker.state", state=state.value)
        self._state = state
        metrics.breaker_open.set(0 if state is BreakerState.CLOSED else 1)
