"""What one poll did, reported as one structured log line plus metrics.

Counters of individual leads go to Prometheus as they happen (so a poll cut short still
counts what it did); the per-poll summary is written once, whatever the outcome.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from prometheus_client import REGISTRY

from service import metrics
from service.logs import get_logger

log = get_logger(__name__)
_RATE_LIMIT_WAITS = f"{metrics.NS}_rate_limit_waits_total"


def _rate_limit_waits() -> float:
    return REGISTRY.get_sample_value(_RATE_LIMIT_WAITS) or 0.0


class Outcome(StrEnum):
    COMPLETE = "complete"
    """Every lead was published or deliberately skipped; the watermark may advance."""
    INCOMPLETE = "incomplete"
    """The walk ended but some events were unroutable or refused; they are retried next poll."""
    FAILED = "failed"
    """An error (TRACE, broker, state store) ended the walk early."""
    ABORTED = "aborted"
    """The lease was lost or the service is stopping."""


@dataclass
class PollStats:
    """Running tallies of one poll; the poll and its page sender add to them."""

    backfill: bool = False
    pages: int = 0
    seen: int = 0
    created: int = 0
    updated: int = 0
    remembered: int = 0
    """Marked as handled without an event (backfill cut-off, updates switched off)."""
    skipped: int = 0
    invalid: int = 0
    unroutable: int = 0
    failed: int = 0
    watermark: datetime | None = None
    started: float = field(default_factory=time.perf_counter)
    _waits_before: float = field(default_factory=_rate_limit_waits)

    @property
    def complete(self) -> bool:
        return not (self.unroutable or self.failed)

    def fields(self) -> dict[str, Any]:
        return {
            "backfill": self.backfill,
            "pages": self.pages,
            "seen": self.seen,
            "published": self.created,
            "updated": self.updated,
            "remembered": self.remembered,
            "skipped": self.skipped,
            "invalid": self.invalid,
            "unroutable": self.unroutable,
            "failed": self.failed,
            "rate_limit_waits": int(_rate_limit_waits() - self._waits_before),
            "watermark": self.watermark.isoformat() if self.watermark else None,
        }

    def report(self, outcome: Outcome, **extra: Any) -> None:
        """Observe the duration, count the outcome and write the summary line."""
        seconds = time.perf_counter() - self.started
        metrics.poll_duration.observe(seconds)
        metrics.lead_polls.labels(outcome=outcome.value).inc()
        level = log.info if outcome is Outcome.COMPLETE else log.warning
        level(
            "leads.poll_done",
            outcome=outcome.value,
            duration_ms=round(seconds * 1000, 1),
            **self.fields(),
            **extra,
        )
