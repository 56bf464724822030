"""Where a poll starts reading, and how far the next one may skip: the watermark.

The watermark is the newest lead version of the last COMPLETED poll, capped at that poll's
start time. Capping matters: a lead changed while a long walk was under way may sort onto a
page already read, and its `updatedAt` is not before the poll started, so the next poll
(which re-reads `lookback` seconds before the watermark for clock skew) still finds it.
Without a watermark the poll is a backfill: every lead is read, and `backfill` decides
which unknown ones are published and which are only remembered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from service.leads.settings import LeadSettings
from service.state.base import StateStore

WATERMARK = "leads.watermark"
BACKFILL_SINCE = "leads.backfill_since"
"""`backfill=none`: the first start's time, kept so a restart mid-backfill keeps the same cut."""

Backfill = Literal["all", "none"] | date


@dataclass(frozen=True, slots=True)
class Plan:
    """How one poll walks the CRM and treats leads it has never handled."""

    started: datetime
    watermark: datetime | None
    updated_from: datetime | None
    cutoff: datetime | None
    """Unknown leads created before it are remembered, not published (backfill only)."""

    @property
    def backfill(self) -> bool:
        return self.watermark is None


async def plan(store: StateStore, settings: LeadSettings, now: datetime) -> Plan:
    """The plan of a poll starting `now`, from the stored watermark or the backfill mode."""
    saved = await store.get_cursor(WATERMARK)
    if saved is not None:
        watermark = datetime.fromisoformat(saved)
        lookback = timedelta(seconds=settings.lookback)
        return Plan(started=now, watermark=watermark, updated_from=watermark - lookback, cutoff=None)
    cutoff = await _backfill_cutoff(store, settings.backfill, now)
    return Plan(started=now, watermark=None, updated_from=None, cutoff=cutoff)


async def _backfill_cutoff(store: StateStore, backfill: Backfill, now: datetime) -> datetime | None:
    if backfill == "all":
        return None
    if isinstance(backfill, date):
        return datetime.combine(backfill, time(), UTC)
    saved = await store.get_cursor(BACKFILL_SINCE)
    if saved is not None:
        return datetime.fromisoformat(saved)
    await store.set_cursor(BACKFILL_SINCE, now.isoformat())
    return now


async def advance(store: StateStore, plan: Plan, newest: datetime | None) -> datetime | None:
    """Store the watermark a completed poll earned; returns the watermark now in force."""
    if newest is None:
        return plan.watermark
    candidate = min(newest, plan.started)
    if plan.watermark is not None and candidate <= plan.watermark:
        return plan.watermark
    await store.set_cursor(WATERMARK, candidate.isoformat())
    return candidate
