"""Every documented (and SIM) upload rule: a broken file is refused with 400 and a path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.sandbox.helpers import DM_PATH, PPA_PATH, bearer, changed, dm_offer, ppa_offer, upload
from tests.support.sandbox import SandboxServer

pytestmark = pytest.mark.integration

DM = {"offer": dm_offer(tiers=[(0, 100), (100, 1000)])}
PPA = {"offer": ppa_offer()}
BATCH = {"offers": [dm_offer("first"), dm_offer("second")]}

# (id, endpoint, document, expected error line prefix)
CASES: list[tuple[str, str, object, str]] = [
    ("root-not-object", DM_PATH, [DM["offer"]], "root: must be a JSON object"),
    ("offer-and-offers", DM_PATH, {**DM, **BATCH}, "root: exactly one of offer or offers"),
    ("neither", DM_PATH, {"offerz": {}}, "root: one of offer or offers is required"),
    ("offers-empty", DM_PATH, {"offers": []}, "offers: must not be empty"),
    ("offers-not-array", DM_PATH, {"offers": DM["offer"]}, "offers: must be an array"),
    ("offer-not-object", DM_PATH, {"offers": [DM["offer"], 7]}, "offers[1]: must be an object"),
    ("name-missing", DM_PATH, changed(DM, "offer.name", ...), "offer.name: is required"),
    ("name-not-string", DM_PATH, changed(DM, "offer.name", 12), "offer.name: must be a non-empty string"),
    ("name-blank", DM_PATH, changed(DM, "offer.name", "  "), "offer.name: must be a non-empty string"),
    ("tariff-missing", DM_PATH, changed(DM, "offer.tariffType", ...), "offer.tariffType: is required"),
    ("tariff-string", DM_PATH, changed(DM, "offer.tariffType", "3"), "offer.tariffType: must be an integer"),
    ("tariff-float", DM_PATH, changed(DM, "offer.tariffType", 3.0), "offer.tariffType: must be an integer"),
    ("tariff-ppa-on-dm", DM_PATH, changed(DM, "offer.tariffType", 5), "offer.tariffType: must be 3"),
    ("tariff-dm-on-ppa", PPA_PATH, changed(PPA, "offer.tariffType", 3), "offer.tariffType: must be 5 or 6"),
    ("country-missing", DM_PATH, changed(DM, "offer.countryCode", ...), "offer.countryCode: is required"),
    (
        "country-name",
        DM_PATH,
        changed(DM, "offer.countryCode", "Germany"),
        "offer.countryCode: must be an ISO",
    ),
    ("country-lower", PPA_PATH, changed(PPA, "offer.countryCode", "de"), "offer.countryCode: must be an ISO"),
    (
        "country-unassigned",
        DM_PATH,
        changed(DM, "offer.countryCode", "XK"),
        "offer.countryCode: must be an ISO",
    ),
    ("technology-missing", DM_PATH, changed(DM, "offer.technology", ...), "offer.technology: is required"),
    (
        "technology-biomass-on-dm",
        DM_PATH,
        changed(DM, "offer.technology", "Biomass"),
        "offer.technology: must be one of Solar, Wind",
    ),
    (
        "technology-in-config-bad",
        PPA_PATH,
        changed(changed(PPA, "offer.technology", ...), "offer.configuration.technology", "Hydro"),
        "offer.configuration.technology: must be one of Solar, Wind, Biomass",
    ),
    (
        "technology-contradicts",
        DM_PATH,
        changed(DM, "offer.configuration.technology", "Wind"),
        "offer.configuration.technology: contradicts",
    ),
    (
        "configuration-missing",
        DM_PATH,
        changed(DM, "offer.configuration", ...),
        "offer.configuration: is required",
    ),
    (
        "configuration-array",
        DM_PATH,
        changed(DM, "offer.configuration", []),
        "offer.configuration: must be an object",
    ),
    (
        "dm-type-case",
        DM_PATH,
        changed(DM, "offer.configuration.directMarketingType", "eeg"),
        "offer.configuration.directMarketingType: must be one of EEG, Other",
    ),
    (
        "enumeration-spaced-in-batch",
        DM_PATH,
        changed(BATCH, "offers.1.configuration.enumerationType", "Market Value"),
        "offers[1].configuration.enumerationType: must be one of Spot, MarketValue",
    ),
    (
        "service-fee-missing",
        DM_PATH,
        changed(DM, "offer.configuration.serviceFeeType", ...),
        "offer.configuration.serviceFeeType: is required",
    ),
    (
        "ppa-structure",
        PPA_PATH,
        changed(PPA, "offer.configuration.ppaStructure", "PayAsConsumed"),
        "offer.configuration.ppaStructure: must be one of PayAsProduced, PayAsForecasted",
    ),
    (
        "goo-unknown",
        PPA_PATH,
        changed(PPA, "offer.configuration.guaranteeOfOrigin", "Customer"),
        "offer.configuration.guaranteeOfOrigin: must be one of Provider",
    ),
    (
        "negative-prices",
        PPA_PATH,
        changed(PPA, "offer.configuration.negativePrices", True),
        "offer.configuration.negativePrices: must be a non-empty string",
    ),
    (
        "hedge-zero",
        PPA_PATH,
        changed(PPA, "offer.configuration.hedgeSharePercent", 0),
        "offer.configuration.hedgeSharePercent: must be greater than 0 and at most 100",
    ),
    (
        "hedge-above-100",
        PPA_PATH,
        changed(PPA, "offer.configuration.hedgeSharePercent", 100.5),
        "offer.configuration.hedgeSharePercent: must be greater than 0 and at most 100",
    ),
    (
        "hedge-string",
        PPA_PATH,
        changed(PPA, "offer.configuration.hedgeSharePercent", "75"),
        "offer.configuration.hedgeSharePercent: must be a number",
    ),
    (
        "tiers-empty",
        DM_PATH,
        changed(DM, "offer.configuration.capacityTiers", []),
        "offer.configuration.capacityTiers: must be a non-empty array",
    ),
    (
        "tier-min-above-max",
        DM_PATH,
        changed(DM, "offer.configuration.capacityTiers.0", {"min": 500, "max": 100}),
        "offer.configuration.capacityTiers[0].max: must be greater than min",
    ),
    (
        "tier-negative",
        DM_PATH,
        changed(DM, "offer.configuration.capacityTiers.0", {"min": -1, "max": 100}),
        "offer.configuration.capacityTiers[0].min: must be at least 0",
    ),
    (
        "tier-min-missing",
        PPA_PATH,
        changed(PPA, "offer.configuration.capacityTiers", [{"max": 100}]),
        "offer.configuration.capacityTiers[0].min: is required",
    ),
    (
        "tiers-overlap",
        DM_PATH,
        changed(DM, "offer.configuration.capacityTiers.1", {"min": 50, "max": 1000}),
        "offer.configuration.capacityTiers[1]: overlaps capacityTiers[0]",
    ),
    ("matrix-missing", DM_PATH, changed(DM, "offer.priceMatrix", ...), "offer.priceMatrix: is required"),
    ("matrix-empty", PPA_PATH, changed(PPA, "offer.priceMatrix", []), "offer.priceMatrix: must not be empty"),
    (
        "start-iso-date",
        DM_PATH,
        changed(DM, "offer.priceMatrix.0.start", "2026-02"),
        "offer.priceMatrix[0].start: must look like",
    ),
    (
        "start-month-13",
        DM_PATH,
        changed(DM, "offer.priceMatrix.0.start", "2026M13"),
        "offer.priceMatrix[0].start: must look like",
    ),
    (
        "tenor-zero",
        PPA_PATH,
        changed(PPA, "offer.priceMatrix.1.tenor", "0Y"),
        "offer.priceMatrix[1].tenor: must look like",
    ),
    (
        "tenor-unitless",
        DM_PATH,
        changed(DM, "offer.priceMatrix.0.tenor", "11"),
        "offer.priceMatrix[0].tenor: must look like",
    ),
    (
        "prices-empty",
        DM_PATH,
        changed(DM, "offer.priceMatrix.0.prices", {}),
        "offer.priceMatrix[0].prices: must be a non-empty object",
    ),
    (
        "prices-missing",
        PPA_PATH,
        changed(PPA, "offer.priceMatrix.0.prices", ...),
        "offer.priceMatrix[0].prices: is required",
    ),
    (
        "duplicate-start-tenor",
        DM_PATH,
        changed(DM, "offer.priceMatrix.1", {"start": "2026M02", "tenor": "11M", "prices": {"x": 1}}),
        "offer.priceMatrix[1]: duplicate start/tenor 2026M02/11M",
    ),
    ("fees-array", DM_PATH, changed(DM, "offer.fees", []), "offer.fees: must be an object"),
    (
        "other-components-string",
        DM_PATH,
        changed(DM, "offer.otherPriceComponents", "none"),
        "offer.otherPriceComponents: must be an object",
    ),
    ("bad-utf8", DM_PATH, b'{"offer": {"name": "\xff"}}', "file: not valid UTF-8"),
    ("bad-json", DM_PATH, b'{"offer": ', "file: invalid JSON"),
    ("nan-json", PPA_PATH, b'{"offer": {"hedgeSharePercent": NaN}}', "file: invalid JSON"),
]


@pytest.fixture(scope="module")
def shared() -> Iterator[SandboxServer]:
    with SandboxServer(lead_count=0) as server:
        yield server


async def post(server: SandboxServer, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url) as http:
        return await http.post(path, headers=bearer(server.token()), **kwargs)


@pytest.mark.parametrize(
    ("endpoint", "document", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_invalid_file_is_refused_with_its_path(
    shared: SandboxServer, endpoint: str, document: object, expected: str
) -> None:
    async with httpx.AsyncClient(base_url=shared.url) as http:
        response = await upload(http, endpoint, document, bearer(shared.token()))

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["success"] is False
    assert body["results"] == []
    assert any(line.startswith(expected) for line in body["errors"]), body["errors"]
    assert shared.offers() == []


async def test_all_problems_are_reported_at_once(shared: SandboxServer) -> None:
    document = changed(changed(BATCH, "offers.0.name", ...), "offers.1.countryCode", "EU")
    async with httpx.AsyncClient(base_url=shared.url) as http:
        response = await upload(http, DM_PATH, document, bearer(shared.token()))

    errors = response.json()["errors"]
    assert [e.split(":")[0] for e in errors] == ["offers[0].name", "offers[1].countryCode"]


async def test_request_must_be_multipart(shared: SandboxServer) -> None:
    response = await post(shared, DM_PATH, json=DM)

    assert response.status_code == 400
    assert response.json()["errors"] == ["request: must be multipart/form-data carrying one JSON file part"]


@pytest.mark.parametrize(
    ("files", "count"),
    [
        ({"name": (None, b"just a field")}, 0),
        (
            [
                ("file", ("a.json", b"{}", "application/json")),
                ("more", ("b.json", b"{}", "application/json")),
            ],
            2,
        ),
    ],
    ids=["no-file-part", "two-file-parts"],
)
async def test_exactly_one_file_part(shared: SandboxServer, files: Any, count: int) -> None:
    response = await post(shared, DM_PATH, files=files)

    assert response.status_code == 400
    assert response.json()["errors"] == [f"file: expected exactly one file part, got {count}"]


async def test_malformed_multipart_body_is_a_400(shared: SandboxServer) -> None:
    headers = {"Content-Type": "multipart/form-data"}  # no boundary
    async with httpx.AsyncClient(base_url=shared.url) as http:
        response = await http.post(DM_PATH, content=b"--x\r\n", headers={**headers, **bearer(shared.token())})

    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("request: malformed multipart body")
