"""The CloudEvents envelope: building, serializing, parsing and dispatching on `type`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

import orjson
import pytest
from pydantic import ValidationError

import contracts
from contracts import (
    EVENT_TYPES,
    OUTCOME_EVENT_NAMESPACE,
    CloudEvent,
    LeadCreated,
    LeadUpdated,
    TariffChanged,
    TariffChangedData,
    TariffRejected,
    TariffRejectedData,
    TariffUploaded,
    TariffUploadedData,
    UnknownEventType,
    parse_event,
)
from tests.contracts.helpers import load_example, mutated

DM = "trace.tariff.changed.v1.direct_marketing.json"
PPA_UP = "trace.tariff.changed.v1.ppa_upstream.json"
PPA_DOWN = "trace.tariff.changed.v1.ppa_downstream.json"


def changed_data(name: str = DM) -> TariffChangedData:
    return TariffChangedData.model_validate(load_example(name)["data"])


def uploaded_data(source_event_id: str = "e-1") -> TariffUploadedData:
    return TariffUploadedData(
        tariff_id="dm-1",
        revision=2,
        product="direct_marketing",
        source_event_id=source_event_id,
        trace_offer_ids=["o-1"],
    )


def test_public_names_are_exported() -> None:
    names = {"CloudEvent", "TariffChanged", "TariffUploaded", "TariffRejected", "LeadCreated"}
    names |= {"LeadUpdated", "parse_event", "AnyEvent", "UnknownEventType", "CONTENT_TYPE", "EVENT_TYPES"}
    assert names <= set(contracts.__all__)
    assert contracts.CONTENT_TYPE == "application/cloudevents+json"
    assert set(EVENT_TYPES) == {
        "trace.tariff.changed.v1",
        "trace.tariff.uploaded.v1",
        "trace.tariff.rejected.v1",
        "trace.lead.created.v1",
        "trace.lead.updated.v1",
    }
    assert all(EVENT_TYPES[cls.event_type] is cls for cls in EVENT_TYPES.values())


def test_build_fills_id_time_and_subject() -> None:
    before = datetime.now(UTC)
    event = TariffChanged.build(changed_data(), source="urn:example:pricing")
    after = datetime.now(UTC)
    assert uuid.UUID(event.id).version == 4
    assert before <= event.time <= after
    assert event.subject == "dm-de-solar-eeg-spot"
    assert (event.specversion, event.type, event.datacontenttype) == (
        "1.0",
        "trace.tariff.changed.v1",
        "application/json",
    )
    assert TariffChanged.build(changed_data(), source="urn:x").id != event.id


def test_build_keeps_explicit_id_time_and_subject() -> None:
    when = datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(hours=1)
    event = TariffChanged.build(changed_data(), source="urn:x", subject="s", id="fixed", time=when)
    assert (event.id, event.time, event.subject) == ("fixed", when, "s")


def test_build_without_a_subject_rule_needs_an_explicit_subject() -> None:
    class Ping(CloudEvent[dict[str, int]]):
        type: Literal["example.ping.v1"]

    assert Ping.build({"n": 1}, source="urn:x", subject="p").type == "example.ping.v1"
    with pytest.raises(TypeError, match="explicit subject"):
        Ping.build({"n": 1}, source="urn:x")


def test_to_json_leaves_out_absent_attributes_and_round_trips() -> None:
    event = TariffChanged.build(changed_data(), source="urn:x")
    document = orjson.loads(event.to_json())
    assert "dataschema" not in document
    assert document["datacontenttype"] == "application/json"
    assert TariffChanged.from_json(event.to_json()) == event
    assert TariffChanged.from_json(event.to_json().decode()) == event


def test_numbers_and_opaque_objects_pass_through_unchanged() -> None:
    document = load_example(PPA_UP)
    prices = {"price": 68.9, "note": None, "nested": {"values": [1, 2.5, None]}}
    mutated(document, ("data", "offer", "price_matrix", 0, "prices"), prices)
    event = TariffChanged.from_json(orjson.dumps(document))
    offer = orjson.loads(event.to_json())["data"]["offer"]
    assert offer["price_matrix"][0]["prices"] == prices
    assert b'"hedge_share_percent":100,' in event.to_json()
    assert offer["configuration"]["capacity_tiers"] == [{"min": 100, "max": 500}]


def test_offers_know_their_trace_tariff_type_without_serializing_it() -> None:
    codes = [changed_data(name).offer.tariff_type for name in (DM, PPA_UP, PPA_DOWN)]
    assert codes == [3, 5, 6]
    assert "tariff_type" not in changed_data().offer.model_dump()


def test_extension_attributes_survive_a_round_trip() -> None:
    event = TariffChanged.from_json(orjson.dumps(load_example(PPA_DOWN)))
    assert event.model_extra == {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
    assert orjson.loads(event.to_json())["traceparent"] == event.model_extra["traceparent"]


def test_parse_event_dispatches_on_type() -> None:
    uploaded = TariffUploaded.build(uploaded_data(), source="urn:trace-bridge")
    assert parse_event(uploaded.to_json()) == uploaded
    assert type(parse_event(orjson.dumps(load_example(DM)))) is TariffChanged


def test_parse_event_reports_an_unknown_type_apart_from_invalid_events() -> None:
    document = load_example(DM)
    document["type"] = "trace.tariff.changed.v2"
    with pytest.raises(UnknownEventType) as caught:
        parse_event(orjson.dumps(document))
    assert caught.value.event_type == "trace.tariff.changed.v2"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        b'{"specversion": "1.0"}',
        b'{"type": 5}',
        b'{"type": "trace.tariff.changed.v1", "data": {}}',
    ],
    ids=["not_json", "not_an_object", "missing_type", "type_not_a_string", "invalid_known_type"],
)
def test_parse_event_raises_validation_error_for_bad_input(raw: bytes) -> None:
    with pytest.raises(ValidationError):
        parse_event(raw)


def test_parse_event_keeps_an_unknown_offer_product_a_validation_error() -> None:
    document = mutated(load_example(DM), ("data", "offer", "product"), "ppa_sideways")
    with pytest.raises(ValidationError):
        parse_event(orjson.dumps(document))


def test_outcome_event_ids_are_derived_from_the_answered_event() -> None:
    uploaded = TariffUploaded.build(uploaded_data("e-42"), source="urn:trace-bridge")
    again = TariffUploaded.build(uploaded_data("e-42"), source="urn:trace-bridge")
    expected = uuid.uuid5(OUTCOME_EVENT_NAMESPACE, "trace.tariff.uploaded.v1:e-42")
    assert uploaded.id == again.id == str(expected)
    assert uploaded.subject == "dm-1"
    rejected = TariffRejected.build(
        TariffRejectedData(
            tariff_id="dm-1",
            revision=2,
            product="direct_marketing",
            source_event_id="e-42",
            reason="stale",
            message="revision 3 already uploaded",
        ),
        source="urn:trace-bridge",
    )
    assert rejected.id not in {uploaded.id, TariffUploaded.build(uploaded_data("e-43"), source="urn:x").id}


def test_outcome_events_tolerate_fields_added_within_v1() -> None:
    document = orjson.loads(TariffUploaded.build(uploaded_data(), source="urn:x").to_json())
    document["data"]["upload_duration_ms"] = 120
    assert TariffUploaded.from_json(orjson.dumps(document)).data == uploaded_data()


def test_events_are_immutable() -> None:
    event = LeadCreated.build(
        contracts.Lead(id="L1", created_at=datetime(2026, 1, 1, tzinfo=UTC)), source="urn:x"
    )
    with pytest.raises(ValidationError):
        event.subject = "other"  # type: ignore[misc]
    assert isinstance(parse_event(event.to_json()), LeadCreated)
    assert not isinstance(parse_event(event.to_json()), LeadUpdated)
