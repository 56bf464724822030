"""Settled outcomes, lead marks and cursors against both real backends."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from service.state import LeadMark, Outcome, Settled, StateStore

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)


def settled(
    event_id: str,
    outcome: Outcome,
    *,
    age: timedelta = timedelta(0),
    offer_ids: tuple[str, ...] = (),
    reason: str | None = None,
) -> Settled:
    return Settled(event_id, "t", 3, "ppa", outcome, offer_ids, reason, NOW - age)


async def test_unknown_event_is_not_settled(store: StateStore) -> None:
    assert await store.settled("nope") is None


async def test_record_round_trips_and_is_idempotent(store: StateStore) -> None:
    record = settled("e1", Outcome.REJECTED, reason="422: tenor invalid")
    await store.record(record)
    await store.record(record)
    assert await store.settled("e1") == record


async def test_uploaded_outcome_round_trips_offer_ids(store: StateStore) -> None:
    record = settled("e1", Outcome.UPLOADED, offer_ids=("a", "b", "c"))
    await store.finish_upload("owner", record)
    assert await store.settled("e1") == record


async def test_a_later_verdict_never_hides_an_upload(store: StateStore) -> None:
    upload = settled("e1", Outcome.UPLOADED, offer_ids=("a",))
    await store.finish_upload("owner", upload)
    await store.record(settled("e1", Outcome.STALE))
    assert await store.settled("e1") == upload


async def test_an_upload_replaces_an_earlier_verdict(store: StateStore) -> None:
    await store.record(settled("e1", Outcome.DEAD_LETTERED, reason="retries exhausted"))
    upload = settled("e1", Outcome.UPLOADED, offer_ids=("a",))
    await store.finish_upload("owner", upload)
    assert await store.settled("e1") == upload


async def test_the_latest_non_upload_verdict_wins(store: StateStore) -> None:
    await store.record(settled("e1", Outcome.REJECTED, reason="400"))
    await store.record(settled("e1", Outcome.DEAD_LETTERED, reason="parked"))
    found = await store.settled("e1")
    assert found is not None
    assert (found.outcome, found.reason) == (Outcome.DEAD_LETTERED, "parked")


async def test_settled_times_come_back_in_utc(store: StateStore) -> None:
    berlin = timezone(timedelta(hours=2))
    await store.record(Settled("e1", "t", 1, "dm", Outcome.STALE, settled_at=NOW.astimezone(berlin)))
    found = await store.settled("e1")
    assert found is not None
    assert found.settled_at == NOW
    assert found.settled_at.utcoffset() == timedelta(0)


async def test_forget_settled_deletes_only_older_outcomes(store: StateStore) -> None:
    for event_id, age in [
        ("old", timedelta(days=3)),
        ("older", timedelta(days=9)),
        ("new", timedelta(hours=1)),
    ]:
        await store.record(settled(event_id, Outcome.STALE, age=age))
    assert await store.forget_settled(NOW - timedelta(days=1)) == 2
    assert await store.forget_settled(NOW - timedelta(days=1)) == 0
    assert await store.settled("old") is None
    assert await store.settled("older") is None
    assert await store.settled("new") is not None


async def test_naive_times_are_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.forget_settled(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        Settled("e", "t", 1, "dm", Outcome.STALE, settled_at=datetime(2026, 1, 1))


async def test_lead_marks_round_trip(store: StateStore) -> None:
    assert await store.lead_versions(["a", "b"]) == {}
    assert await store.lead_count() == 0
    await store.mark_leads([LeadMark("a", "2026-01-01T00:00:00Z", "e1"), LeadMark("b", "v1", "e2")])
    await store.mark_leads([LeadMark("a", "2026-01-02T00:00:00Z", "e3")])
    assert await store.lead_versions(["a", "b", "c"]) == {"a": "2026-01-02T00:00:00Z", "b": "v1"}
    assert await store.lead_versions([]) == {}
    assert await store.lead_count() == 2


async def test_last_mark_of_a_lead_in_one_call_wins(store: StateStore) -> None:
    await store.mark_leads([LeadMark("a", "v1", "e1"), LeadMark("a", "v2", "e2")])
    assert await store.lead_versions(["a"]) == {"a": "v2"}
    assert await store.lead_count() == 1


async def test_thousands_of_marks_in_one_call(store: StateStore) -> None:
    marks = [LeadMark(f"lead-{i}", f"v{i}", f"event-{i}") for i in range(2500)]
    started = time.monotonic()
    await store.mark_leads(marks)
    versions = await store.lead_versions([mark.lead_id for mark in marks])
    elapsed = time.monotonic() - started
    assert versions == {mark.lead_id: mark.version for mark in marks}
    assert await store.lead_count() == 2500
    assert elapsed < 5.0, f"2,500 marks took {elapsed:.1f} s"


async def test_cursors_round_trip(store: StateStore) -> None:
    assert await store.get_cursor("leads.updated") is None
    await store.set_cursor("leads.updated", "2026-01-01T00:00:00Z")
    await store.set_cursor("leads.updated", "2026-01-02T00:00:00Z")
    await store.set_cursor("other", "x")
    assert await store.get_cursor("leads.updated") == "2026-01-02T00:00:00Z"
    assert await store.get_cursor("other") == "x"


async def test_ping_answers(store: StateStore) -> None:
    await store.ping()
