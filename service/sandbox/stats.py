"""What the sandbox saw: counters for assertions and a bounded log of recent requests."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any

COUNTERS = (
    "logins",
    "login_failures",
    "expired_token_requests",
    "revoked_token_requests",
    "invalid_token_requests",
    "rate_limited",
)


@dataclass(frozen=True)
class RequestRecord:
    """One answered TRACE request; `time` is its arrival, Unix epoch seconds."""

    time: float
    method: str
    route: str
    path: str
    status: int
    client: str | None
    duration_ms: float


class Stats:
    """Thread-safe counters plus the last `log_size` requests (memory stays bounded)."""

    def __init__(self, log_size: int) -> None:
        self._lock = threading.Lock()
        self._counters: Counter[str] = Counter()
        self._routes: Counter[str] = Counter()
        self._log: deque[RequestRecord] = deque(maxlen=log_size)

    def bump(self, counter: str) -> None:
        if counter not in COUNTERS:
            raise KeyError(counter)
        with self._lock:
            self._counters[counter] += 1

    def record(self, record: RequestRecord) -> None:
        with self._lock:
            self._routes[f"{record.method} {record.route} {record.status}"] += 1
            if record.status == 429:
                self._counters["rate_limited"] += 1
            self._log.append(record)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                **{name: self._counters[name] for name in COUNTERS},
                "requests": dict(self._routes),
                "recent": [asdict(item) for item in self._log],
            }

    def reset(self) -> None:
        with self._lock:
            self._counters.clear()
            self._routes.clear()
            self._log.clear()
