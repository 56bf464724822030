"""Invalid tariff-changed events are refused with an error that names the offending field."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import pytest
from pydantic import ValidationError

from contracts import TariffChanged
from tests.contracts.helpers import DELETE, JsonDict, Location, load_example, mutated

DM = "trace.tariff.changed.v1.direct_marketing.json"
PPA = "trace.tariff.changed.v1.ppa_upstream.json"
OFFER: Location = ("data", "offer")
DM_CONFIG: Location = (*OFFER, "configuration")
TIERS: Location = (*DM_CONFIG, "capacity_tiers")
PPA_CONFIG: Location = (*OFFER, "configuration")
MATRIX: Location = (*OFFER, "price_matrix")


@dataclass(frozen=True)
class Case:
    """Set `path` of an example to `value`; expect an error at `loc` whose text has `text`."""

    name: str
    path: Location
    value: object
    loc: tuple[str | int, ...]
    text: str = ""
    example: str = DM


CASES = [
    Case("dm_technology_biomass", (*OFFER, "technology"), "Biomass", ("technology",)),
    Case("technology_lowercase", (*OFFER, "technology"), "solar", ("technology",)),
    Case("direct_marketing_type", (*DM_CONFIG, "direct_marketing_type"), "eeg", ("direct_marketing_type",)),
    Case("enumeration_type", (*DM_CONFIG, "enumeration_type"), "Market Value", ("enumeration_type",)),
    Case("service_fee_type", (*DM_CONFIG, "service_fee_type"), "Percent", ("service_fee_type",)),
    Case("ppa_structure", (*PPA_CONFIG, "ppa_structure"), "PayAsConsumed", ("ppa_structure",), example=PPA),
    Case(
        "guarantee_of_origin",
        (*PPA_CONFIG, "guarantee_of_origin"),
        "Customer",
        ("guarantee_of_origin",),
        example=PPA,
    ),
    Case("negative_prices", (*PPA_CONFIG, "negative_prices"), "Partly", ("negative_prices",), example=PPA),
    Case("unknown_product", (*OFFER, "product"), "ppa", ("offer",), "product"),
    Case("missing_product", (*OFFER, "product"), DELETE, ("offer",), "product"),
    Case("start_month_13", (*MATRIX, 0, "start"), "2026M13", ("price_matrix", 0, "start")),
    Case("start_two_digit_year", (*MATRIX, 0, "start"), "26Q1", ("price_matrix", 0, "start")),
    Case("start_quarter_5", (*MATRIX, 0, "start"), "2026Q5", ("price_matrix", 0, "start")),
    Case("start_not_a_string", (*MATRIX, 0, "start"), 2026, ("price_matrix", 0, "start")),
    Case("tenor_zero", (*MATRIX, 0, "tenor"), "0Y", ("price_matrix", 0, "tenor")),
    Case("tenor_weeks", (*MATRIX, 0, "tenor"), "12W", ("price_matrix", 0, "tenor")),
    Case(
        "duplicate_start_tenor",
        (*MATRIX, 2),
        {"start": "2026M02", "tenor": "11M", "prices": {"serviceFee": 1}},
        ("price_matrix",),
        "price_matrix[2] repeats start '2026M02' and tenor '11M' of price_matrix[0]",
    ),
    Case(
        "overlapping_tiers",
        (*TIERS, 1),
        {"min": 50, "max": 1000},
        ("capacity_tiers",),
        "capacity_tiers[1] overlaps capacity_tiers[0]",
    ),
    Case(
        "tier_min_equals_max",
        (*TIERS, 1),
        {"min": 100, "max": 100},
        ("capacity_tiers", 1),
        "min (100) must be less than max (100)",
    ),
    Case("tier_min_above_max", (*TIERS, 1), {"min": 900, "max": 800}, ("capacity_tiers", 1), "min"),
    Case("tier_negative_min", (*TIERS, 0, "min"), -1, ("capacity_tiers", 0, "min")),
    Case("tier_missing_max", (*TIERS, 0), {"min": 0}, ("capacity_tiers", 0, "max")),
    Case("tier_unknown_field", (*TIERS, 0, "unit"), "kW", ("capacity_tiers", 0, "unit")),
    Case("empty_tiers", TIERS, [], ("capacity_tiers",)),
    Case("hedge_share_zero", (*PPA_CONFIG, "hedge_share_percent"), 0, ("hedge_share_percent",), example=PPA),
    Case("hedge_share_101", (*PPA_CONFIG, "hedge_share_percent"), 101, ("hedge_share_percent",), example=PPA),
    Case(
        "hedge_share_string",
        (*PPA_CONFIG, "hedge_share_percent"),
        "75",
        ("hedge_share_percent",),
        example=PPA,
    ),
    Case("country_lowercase", (*OFFER, "country_code"), "de", ("country_code",)),
    Case("country_unknown", (*OFFER, "country_code"), "XX", ("country_code",), "'XX' is not an ISO 3166-1"),
    Case("country_alpha3", (*OFFER, "country_code"), "DEU", ("country_code",)),
    Case("missing_name", (*OFFER, "name"), DELETE, ("name",)),
    Case("empty_name", (*OFFER, "name"), "", ("name",)),
    Case("missing_price_matrix", MATRIX, DELETE, ("price_matrix",)),
    Case("empty_price_matrix", MATRIX, [], ("price_matrix",)),
    Case("empty_prices", (*MATRIX, 0, "prices"), {}, ("price_matrix", 0, "prices")),
    Case("prices_not_an_object", (*MATRIX, 0, "prices"), [1, 2], ("price_matrix", 0, "prices")),
    Case("fees_not_an_object", (*OFFER, "fees"), "none", ("fees",)),
    Case("unknown_offer_field", (*OFFER, "hedge_share"), 50, ("hedge_share",)),
    Case("unknown_configuration_field", (*DM_CONFIG, "service_fee"), "Relative", ("service_fee",)),
    Case(
        "other_price_components_on_ppa",
        (*OFFER, "other_price_components"),
        {},
        ("other_price_components",),
        example=PPA,
    ),
    Case("missing_configuration", DM_CONFIG, DELETE, ("configuration",)),
    Case("revision_negative", ("data", "revision"), -1, ("revision",)),
    Case("revision_string", ("data", "revision"), "7", ("revision",)),
    Case("revision_fraction", ("data", "revision"), 1.5, ("revision",)),
    Case("tariff_id_with_space", ("data", "tariff_id"), "dm 1", ("tariff_id",)),
    Case("tariff_id_too_long", ("data", "tariff_id"), "t" * 201, ("tariff_id",)),
    Case("data_not_an_object", ("data",), [], ("data",)),
    Case("wrong_specversion", ("specversion",), "0.3", ("specversion",)),
    Case("missing_specversion", ("specversion",), DELETE, ("specversion",)),
    Case("missing_id", ("id",), DELETE, ("id",)),
    Case("empty_id", ("id",), "", ("id",)),
    Case("source_with_spaces", ("source",), "pricing service", ("source",)),
    Case("missing_subject", ("subject",), DELETE, ("subject",)),
    Case("other_type", ("type",), "trace.tariff.uploaded.v1", ("type",)),
    Case("naive_time", ("time",), "2026-01-12T08:30:00", ("time",)),
    Case("missing_time", ("time",), DELETE, ("time",)),
    Case("datacontenttype_xml", ("datacontenttype",), "application/xml", ("datacontenttype",)),
    Case("dataschema_relative", ("dataschema",), "schemas/x.json", ("dataschema",)),
    Case("extension_name_uppercase", ("traceParent",), "00-ab", (), "'traceParent'"),
    Case("extension_name_too_long", ("a" * 21,), "x", (), "a" * 21),
    Case("extension_value_object", ("partitionkey",), {"a": 1}, (), "'partitionkey' must be a string"),
    Case("extension_value_float", ("sequence",), 1.5, (), "'sequence' must be a string"),
]


def _invalid(case: Case) -> JsonDict:
    return mutated(load_example(case.example), case.path, case.value)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_invalid_tariff_event_names_the_field(case: Case) -> None:
    with pytest.raises(ValidationError) as caught:
        TariffChanged.from_json(orjson.dumps(_invalid(case)))
    errors = caught.value.errors()
    located = [error for error in errors if error["loc"][len(error["loc"]) - len(case.loc) :] == case.loc]
    assert located, f"no error at {case.loc}: {errors}"
    assert any(case.text in error["msg"] for error in located), errors


def test_the_table_is_large_enough_and_every_base_example_is_valid() -> None:
    assert len(CASES) >= 25
    for name in {case.example for case in CASES}:
        TariffChanged.from_json(orjson.dumps(load_example(name)))


def test_non_finite_numbers_in_opaque_prices_are_refused() -> None:
    raw = orjson.dumps(load_example(DM)).replace(b'{"serviceFee":2.5}', b'{"serviceFee":NaN}')
    with pytest.raises(ValidationError) as caught:
        TariffChanged.from_json(raw)
    assert caught.value.errors()[0]["loc"][-1] == "prices"
