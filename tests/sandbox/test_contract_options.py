"""Contract options (SIM contract, other.md §1): latest version, tier match, wildcards."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.helpers import (
    DM_PATH,
    OPTIONS_PATH,
    PPA_PATH,
    bearer,
    changed,
    dm_offer,
    ppa_offer,
    upload,
)
from tests.support.sandbox import SandboxServer

pytestmark = pytest.mark.integration

DM_QUERY = {"tariffType": 3, "countryCode": "DE", "technology": "Solar", "installedCapacity": 250}


async def options(http: httpx.AsyncClient, auth: dict[str, str], query: Any, prefix: str = "") -> list[Any]:
    response = await http.post(prefix + OPTIONS_PATH, json=query, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    result: list[Any] = response.json()["options"]
    return result


@pytest.fixture
async def uploaded(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await upload(http, DM_PATH, {"offer": dm_offer("tiered", tiers=[(0, 100), (100, 1000)])}, auth)
    await upload(http, PPA_PATH, {"offer": ppa_offer("ppa")}, auth)


@pytest.mark.usefixtures("uploaded")
@pytest.mark.parametrize(
    ("capacity", "tier"), [(0, (0, 100)), (99.9, (0, 100)), (100, (100, 1000)), (250, (100, 1000))]
)
async def test_tier_holding_the_capacity_matches(
    http: httpx.AsyncClient, auth: dict[str, str], capacity: float, tier: tuple[int, int]
) -> None:
    found = await options(http, auth, {**DM_QUERY, "installedCapacity": capacity})

    assert [o["configuration"]["capacityTier"] for o in found] == [{"min": tier[0], "max": tier[1]}]
    assert found[0]["schedules"] == dm_offer()["priceMatrix"]
    assert found[0]["name"] == "tiered"


@pytest.mark.usefixtures("uploaded")
async def test_upper_bound_is_exclusive_and_config_fields_filter(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    assert await options(http, auth, {**DM_QUERY, "installedCapacity": 1000}) == []
    other = {**DM_QUERY, "configuration": {"enumerationType": "MarketValue"}}
    assert await options(http, auth, other) == []
    same = {**DM_QUERY, "configuration": {"enumerationType": "Spot"}}
    assert len(await options(http, auth, same, prefix="/api")) == 1


@pytest.mark.usefixtures("uploaded")
async def test_untiered_offer_matches_any_capacity(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    found = await options(http, auth, {"tariffType": 5, "installedCapacity": 1e6})

    assert [(o["name"], o["configuration"]["capacityTier"]) for o in found] == [("ppa", None)]


async def test_only_the_latest_version_is_used(
    sandbox: SandboxServer, http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await upload(http, DM_PATH, {"offer": dm_offer("old")}, auth)
    await upload(http, DM_PATH, {"offer": changed(dm_offer("new"), "priceMatrix.0.prices", {"p": 9})}, auth)

    found = await options(http, auth, DM_QUERY)

    assert [o["name"] for o in found] == ["new"]
    assert found[0]["schedules"][0]["prices"] == {"p": 9}
    assert found[0]["offerId"] == sandbox.offers()[-1]["offerId"]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"installedCapacity": 5}, "tariffType: is required and must be an integer"),
        ({"tariffType": "3", "installedCapacity": 5}, "tariffType: is required and must be an integer"),
        ({"tariffType": 3}, "installedCapacity: is required and must be a number >= 0"),
        (
            {"tariffType": 3, "installedCapacity": "250"},
            "installedCapacity: is required and must be a number >= 0",
        ),
        ([], "body: must be a JSON object"),
    ],
)
async def test_bad_query_is_a_400(
    http: httpx.AsyncClient, auth: dict[str, str], query: Any, error: str
) -> None:
    response = await http.post(OPTIONS_PATH, json=query, headers=auth)

    assert response.status_code == 400
    assert error in response.json()["errors"]


async def test_contract_options_need_the_upload_scope(
    sandbox: SandboxServer, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        OPTIONS_PATH, json=DM_QUERY, headers=bearer(sandbox.token("sandbox-leads-only"))
    )

    assert response.status_code == 403
