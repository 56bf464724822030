"""Fault injection: outages, forced 429s, random 5xx and added latency.

Faults are decided before the request is authenticated, the way a gateway in front of
TRACE would fail. The random error draw uses its own seeded RNG so a failing run can be
replayed with the same seed and request sequence.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from service.sandbox.config import Faults, Force429Scope, Outage, OutageScope, RouteGroup

_ERROR_NAMES = {500: "internal_error", 502: "bad_gateway", 503: "unavailable", 504: "gateway_timeout"}


@dataclass(frozen=True)
class FaultResponse:
    """What to answer instead of running the route."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FaultInjector:
    """The live fault settings; every method is safe to call from any thread."""

    def __init__(self, faults: Faults, outage: Outage | None, seed: int) -> None:
        self._initial = faults.model_copy(deep=True)
        self._initial_outage = outage
        self._seed = seed
        self._lock = threading.Lock()
        self._faults = faults.model_copy(deep=True)
        self._rng = random.Random(seed)  # noqa: S311 - reproducible faults, not crypto
        self._outage_scope = OutageScope.ALL
        self._outage_until = 0.0
        if outage is not None:
            self.start_outage(outage)

    @property
    def faults(self) -> Faults:
        with self._lock:
            return self._faults.model_copy(deep=True)

    def update(self, changes: dict[str, Any]) -> Faults:
        """Merge `changes` into the current settings (validated as a whole)."""
        with self._lock:
            merged = Faults.model_validate({**self._faults.model_dump(), **changes})
            self._faults = merged
            return merged.model_copy(deep=True)

    def start_outage(self, outage: Outage) -> None:
        with self._lock:
            self._outage_scope = outage.scope
            self._outage_until = time.monotonic() + outage.seconds

    def reset(self) -> None:
        """Back to the faults the sandbox was started with (an initial outage is not rerun)."""
        with self._lock:
            self._faults = self._initial.model_copy(deep=True)
            self._rng = random.Random(self._seed)  # noqa: S311
            self._outage_until = 0.0

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            remaining = max(0.0, self._outage_until - time.monotonic())
            outage = {"scope": self._outage_scope.value, "remaining_seconds": remaining}
            return {**self._faults.model_dump(mode="json"), "outage": outage if remaining else None}

    def latency(self) -> float:
        with self._lock:
            return self._faults.latency_ms / 1000.0

    def intercept(self, group: RouteGroup) -> FaultResponse | None:
        """The fault to answer with on a route of `group`, if any (consumes forced 429s)."""
        with self._lock:
            return self._outage(group) or self._forced_429(group) or self._random_error(group)

    def _outage(self, group: RouteGroup) -> FaultResponse | None:
        if time.monotonic() < self._outage_until and self._outage_scope.covers(group):
            return FaultResponse(503, {"error": "unavailable", "message": "sandbox outage"})
        return None

    def _forced_429(self, group: RouteGroup) -> FaultResponse | None:
        faults = self._faults
        in_scope = faults.force_429_scope is Force429Scope.ALL or group is RouteGroup.LEADS
        if faults.force_429 <= 0 or not in_scope:
            return None
        faults.force_429 -= 1
        headers = {
            "Retry-After": str(faults.retry_after),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(math.ceil(time.time() + faults.retry_after)),
        }
        return FaultResponse(429, {"error": "rate_limited"}, headers)

    def _random_error(self, group: RouteGroup) -> FaultResponse | None:
        faults = self._faults
        if faults.error_rate <= 0 or (group is RouteGroup.LOGIN and not faults.error_on_login):
            return None
        if self._rng.random() >= faults.error_rate:
            return None
        status = self._rng.choice(faults.error_statuses)
        return FaultResponse(status, {"error": _ERROR_NAMES.get(status, "injected_fault")})
