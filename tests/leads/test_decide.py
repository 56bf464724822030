"""Change detection and invalid-record handling, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from contracts import Lead, LeadCreated, LeadUpdated
from service.leads.decide import Action, InvalidLead, decide, parse, stamp
from service.leads.publish import DETAIL_HEADER, REASON_HEADER, first_reason, invalid_message, lead_event

CUTOFF = datetime(2026, 1, 1, tzinfo=UTC)


def lead(**fields: Any) -> Lead:
    values = {"id": "lead-1", "createdAt": "2026-01-10T08:00:00Z", "updatedAt": "2026-01-12T08:00:00Z"}
    parsed = parse({**values, **fields})
    assert isinstance(parsed, Lead)
    return parsed


def test_a_lead_never_handled_is_created() -> None:
    assert decide(lead(), None, cutoff=None, publish_updates=True) is Action.CREATE


def test_backfill_cutoff_remembers_older_unknown_leads_only() -> None:
    old = lead(createdAt="2025-12-31T23:59:59Z")
    assert decide(old, None, cutoff=CUTOFF, publish_updates=True) is Action.SEE
    assert decide(lead(), None, cutoff=CUTOFF, publish_updates=True) is Action.CREATE
    assert decide(old, "2025-12-31T23:59:59+00:00", cutoff=CUTOFF, publish_updates=True) is Action.UPDATE


@pytest.mark.parametrize(
    ("stored", "action"),
    [
        ("2026-01-12T08:00:00+00:00", Action.SKIP),
        ("2026-01-12T10:00:00+02:00", Action.SKIP),  # the same instant, another offset
        ("2026-01-13T00:00:00+00:00", Action.SKIP),  # a stale read never goes back
        ("2026-01-11T00:00:00+00:00", Action.UPDATE),
        ("not a date", Action.UPDATE),
    ],
)
def test_a_known_lead_is_updated_only_when_its_version_moved_forward(stored: str, action: Action) -> None:
    assert decide(lead(), stored, cutoff=None, publish_updates=True) is action


def test_updates_switched_off_are_remembered_not_published() -> None:
    assert decide(lead(), "2026-01-11T00:00:00+00:00", cutoff=None, publish_updates=False) is Action.SEE


def test_a_stamp_without_offset_is_read_as_utc() -> None:
    naive = lead(createdAt="2026-01-10T08:00:00", updatedAt=None)
    assert stamp(naive) == datetime(2026, 1, 10, 8, tzinfo=UTC)
    assert decide(naive, None, cutoff=CUTOFF, publish_updates=True) is Action.CREATE


def test_events_are_identical_whenever_the_same_version_is_sent() -> None:
    first, again = lead_event(lead(), Action.CREATE, "urn:t"), lead_event(lead(), Action.CREATE, "urn:t")
    assert isinstance(first, LeadCreated)
    assert first.to_json() == again.to_json()
    assert first.time == stamp(lead())
    updated = lead_event(lead(), Action.UPDATE, "urn:t")
    assert isinstance(updated, LeadUpdated)
    assert updated.id != first.id


def test_a_record_without_id_is_invalid_and_travels_as_sent() -> None:
    raw = {"createdAt": "2026-01-10T08:00:00Z", "unknownField": [1, 2.5, None]}
    record = parse(raw)
    assert isinstance(record, InvalidLead)
    assert orjson.loads(record.raw) == raw
    assert record.mark_id == f"invalid:{record.digest}"
    assert first_reason(record) == "id: Field required"

    message = invalid_message(record)
    assert message.body == record.raw
    assert message.headers[REASON_HEADER] == "id: Field required"
    detail = orjson.loads(str(message.headers[DETAIL_HEADER]))
    assert [error["loc"] for error in detail] == [["id"]]
    assert message.message_id == record.mark_id


def test_an_unknown_configuration_kind_is_still_a_lead() -> None:
    parsed = parse(
        {"id": "x", "createdAt": "2026-01-10T08:00:00Z", "tariffConfigurations": [{"type": "Heat"}]}
    )
    assert isinstance(parsed, Lead)
