"""The watermark and the backfill cut-off, on both state backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from service.leads.cursor import WATERMARK, advance, plan
from service.leads.settings import LeadSettings
from service.state import StateStore

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def settings(**overrides: object) -> LeadSettings:
    return LeadSettings(_env_file=None, **overrides)  # type: ignore[arg-type]


async def test_backfill_none_keeps_its_first_cutoff_across_restarts(store: StateStore) -> None:
    first = await plan(store, settings(backfill="none"), NOW)
    later = await plan(store, settings(backfill="none"), NOW + timedelta(hours=1))
    assert first.backfill
    assert first.updated_from is None
    assert first.cutoff == later.cutoff == NOW


async def test_backfill_modes_set_the_cutoff(store: StateStore) -> None:
    assert (await plan(store, settings(backfill="all"), NOW)).cutoff is None
    dated = await plan(store, settings(backfill=date(2026, 2, 1)), NOW)
    assert dated.cutoff == datetime(2026, 2, 1, tzinfo=UTC)


async def test_the_watermark_is_capped_at_the_poll_start_and_never_goes_back(store: StateStore) -> None:
    walk = await plan(store, settings(backfill="all"), NOW)
    assert await advance(store, walk, NOW + timedelta(minutes=5)) == NOW

    steady = await plan(store, settings(lookback=60), NOW + timedelta(minutes=1))
    assert not steady.backfill
    assert steady.updated_from == NOW - timedelta(seconds=60)
    assert await advance(store, steady, NOW - timedelta(days=1)) == NOW
    assert await store.get_cursor(WATERMARK) == NOW.isoformat()
    assert await advance(store, steady, None) == NOW
