"""Lead models read TRACE's camelCase, write snake_case, and never lose what they don't know."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from contracts import (
    LEAD_EVENT_NAMESPACE,
    DirectMarketingTariffConfiguration,
    Lead,
    LeadCreated,
    LeadUpdated,
    PpaDownstreamTariffConfiguration,
    UnknownTariffConfiguration,
)
from tests.contracts.helpers import JsonDict

SOURCE = "urn:trace-bridge"


def trace_lead() -> JsonDict:
    """A lead as TRACE's CRM API returns it (crm-leads.md §4.5), with fields we don't model."""
    attachment = {
        "id": "f1",
        "fileName": "lastgang_2025.csv",
        "sizeBytes": 1048576,
        "category": "Invoice",
        "processingStatus": "Queued",
        "checksumSha256": "ab12",
        "metadata": {
            "timezone": "Europe/Berlin",
            "unit": "GWh",
            "coverage": {"from": "2025-01-01T00:00:00+01:00", "to": "2026-01-01T00:00:00+01:00"},
            "resolution": "PT15M",
            "detectedBy": "ml-v2",
        },
        "metadataSuggestions": None,
        "originalDownloadUrl": "https://trace.example/download?variant=original",
        "processedDownloadUrl": None,
    }
    return {
        "id": "9b8f3c1e",
        "createdAt": "2026-01-14T09:21:33Z",
        "updatedAt": "2026-01-15T16:02:10Z",
        "status": "Escalated",
        "leadSource": "partner-portal",
        "contact": {"firstName": "Anna", "lastName": "Schmidt", "preferredLanguage": "de"},
        "company": {"name": "Example GmbH", "address": {"houseNumber": "12", "district": "Mitte"}},
        "tariffConfigurations": [
            {"id": "c1", "type": "DirectMarketing", "tariffType": 3, "installedCapacityKw": 750},
            {"id": "c2", "type": "PpaDownstream", "annualConsumptionMwh": 1200.5, "hedgeSharePercent": 80},
            {"id": "c3", "type": "HeatPumpTariff", "tariffType": 9, "heatDemandKwh": 5000},
            {"id": "c4", "mysteryFlag": True},
        ],
        "solarAssets": [
            {
                "id": "a1",
                "installedCapacityKwp": 750,
                "commissioningDate": "2019-06-01",
                "inverterVendor": "SMA",
                "location": {"postalCode": "14974", "latitude": 52.29, "gridOperator": "E.DIS"},
                "productionProfiles": [{"id": "p1", "attachmentId": "f1", "annualYieldMwh": 712.4}],
                "attachments": [attachment],
            }
        ],
        "windAssets": [{"id": "w1", "turbineCount": 3, "hubHeightM": 120, "repowering": True}],
        "offerDocuments": [
            {"id": "d1", "fileName": "offer.pdf", "url": "https://s3.example/offer.pdf?X-Amz-Expires=900"}
        ],
    }


def _round_trip(lead: Lead) -> tuple[JsonDict, Lead]:
    event = LeadUpdated.build(lead, source=SOURCE)
    dumped: JsonDict = orjson.loads(event.to_json())["data"]
    return dumped, LeadUpdated.from_json(event.to_json()).data


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


def test_camel_case_from_trace_dumps_as_snake_case() -> None:
    dumped, _ = _round_trip(Lead.model_validate(trace_lead()))
    unknown = {"leadSource", "preferredLanguage", "district", "heatDemandKwh", "mysteryFlag"}
    unknown |= {"inverterVendor", "gridOperator", "checksumSha256", "detectedBy", "repowering"}
    camel = {key for key in _keys(dumped) if key != key.lower()} - unknown
    assert camel == set()
    assert dumped["tariff_configurations"][0]["installed_capacity_kw"] == 750
    assert dumped["solar_assets"][0]["attachments"][0]["metadata"]["coverage"]["from"] == (
        "2025-01-01T00:00:00+01:00"
    )
    assert dumped["wind_assets"][0]["hub_height_m"] == 120


def test_unknown_fields_survive_parse_dump_parse_at_every_level() -> None:
    lead = Lead.model_validate(trace_lead())
    dumped, reparsed = _round_trip(lead)
    assert reparsed == lead
    solar = dumped["solar_assets"][0]
    attachment = solar["attachments"][0]
    assert dumped["leadSource"] == "partner-portal"
    assert dumped["contact"]["preferredLanguage"] == "de"
    assert dumped["company"]["address"]["district"] == "Mitte"
    assert solar["inverterVendor"] == "SMA"
    assert solar["location"]["gridOperator"] == "E.DIS"
    assert attachment["checksumSha256"] == "ab12"
    assert attachment["metadata"]["detectedBy"] == "ml-v2"
    assert dumped["wind_assets"][0]["repowering"] is True


def test_unknown_tariff_configuration_variants_keep_every_field() -> None:
    lead = Lead.model_validate(trace_lead())
    dumped, reparsed = _round_trip(lead)
    kinds = [type(item) for item in reparsed.tariff_configurations or []]
    assert kinds == [
        DirectMarketingTariffConfiguration,
        PpaDownstreamTariffConfiguration,
        UnknownTariffConfiguration,
        UnknownTariffConfiguration,
    ]
    assert dumped["tariff_configurations"][2] == {
        "id": "c3",
        "type": "HeatPumpTariff",
        "tariff_type": 9,
        "heatDemandKwh": 5000,
    }
    assert dumped["tariff_configurations"][3] == {"id": "c4", "mysteryFlag": True}


def test_enum_like_fields_accept_values_nobody_documented() -> None:
    lead = Lead.model_validate(trace_lead())
    attachment = (lead.solar_assets or [])[0].attachments or []
    assert lead.status == "Escalated"
    assert (attachment[0].category, attachment[0].processing_status) == ("Invoice", "Queued")
    assert attachment[0].metadata is not None
    assert attachment[0].metadata.unit == "GWh"


def test_only_id_and_created_at_are_required() -> None:
    lead = Lead.model_validate({"id": "L1", "createdAt": "2026-01-14T09:21:33Z"})
    assert lead.contact is None
    assert lead.tariff_configurations is None
    with pytest.raises(ValidationError) as missing:
        Lead.model_validate({"createdAt": "2026-01-14T09:21:33Z"})
    assert missing.value.errors()[0]["loc"] == ("id",)
    with pytest.raises(ValidationError) as empty:
        Lead.model_validate({"id": "", "created_at": "2026-01-14T09:21:33Z"})
    assert empty.value.errors()[0]["loc"] == ("id",)
    with pytest.raises(ValidationError) as no_time:
        Lead.model_validate({"id": "L1"})
    assert no_time.value.errors()[0]["loc"] == ("createdAt",)


def test_lead_event_ids_are_derived_from_lead_id_and_version() -> None:
    lead = Lead.model_validate(trace_lead())
    first = LeadUpdated.build(lead, source=SOURCE)
    again = LeadUpdated.build(Lead.model_validate(trace_lead()), source="urn:other-replica")
    expected = uuid.uuid5(LEAD_EVENT_NAMESPACE, "trace.lead.updated.v1:9b8f3c1e:2026-01-15T16:02:10+00:00")
    assert first.id == again.id == str(expected)
    assert first.subject == "9b8f3c1e"
    assert LeadCreated.build(lead, source=SOURCE).id != first.id


def test_lead_version_is_updated_at_else_created_at_in_utc() -> None:
    created_only = Lead.model_validate({"id": "L1", "createdAt": "2026-01-14T10:21:33+01:00"})
    assert created_only.version == "2026-01-14T09:21:33+00:00"
    same_instant = Lead.model_validate({"id": "L1", "createdAt": "2026-01-14T09:21:33Z"})
    assert LeadCreated.build(created_only, source=SOURCE).id == (
        LeadCreated.build(same_instant, source=SOURCE).id
    )
    changed = created_only.model_copy(update={"updated_at": datetime(2026, 2, 1, tzinfo=UTC)})
    assert changed.version == "2026-02-01T00:00:00+00:00"
    assert LeadUpdated.build(changed, source=SOURCE).id != LeadUpdated.build(created_only, source=SOURCE).id
