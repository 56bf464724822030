"""Valid uploads: one stored version per tier, versioning, business-rule rejections."""

from __future__ import annotations

import httpx
import pytest

from tests.sandbox.helpers import DM_PATH, PPA_PATH, bearer, changed, dm_offer, ppa_offer, upload
from tests.support.sandbox import SandboxServer, StartSandbox

pytestmark = pytest.mark.integration


async def test_single_offer_stores_one_version_per_tier(
    sandbox: SandboxServer, http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await upload(http, DM_PATH, {"offer": dm_offer(tiers=[(0, 100), (100, 1000)])}, auth)

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert [r["message"] for r in body["results"]] == ["Imported successfully"] * 2
    stored = sandbox.offers()
    assert [s["offerId"] for s in stored] == [r["offerId"] for r in body["results"]]
    assert [s["tier"] for s in stored] == [{"min": 0, "max": 100}, {"min": 100, "max": 1000}]
    assert stored[0]["versionKey"] != stored[1]["versionKey"]
    assert stored[0]["offer"] == dm_offer(tiers=[(0, 100), (100, 1000)])
    assert stored[0]["product"] == "direct-marketing"


async def test_batch_results_follow_submission_order(
    sandbox: SandboxServer, http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    offers = [
        ppa_offer("tiered", tiers=[(0, 1000), (1000, 10000)]),
        changed(ppa_offer("untiered"), "tariffType", 6),
    ]

    response = await upload(http, PPA_PATH, {"offers": offers}, auth)

    results = response.json()["results"]
    assert len(results) == 3
    stored = {s["offerId"]: s for s in sandbox.offers()}
    assert [stored[r["offerId"]]["name"] for r in results] == ["tiered", "tiered", "untiered"]
    assert [stored[r["offerId"]]["tier"] for r in results] == [
        {"min": 0, "max": 1000},
        {"min": 1000, "max": 10000},
        None,
    ]
    assert stored[results[2]["offerId"]]["tariffType"] == 6


async def test_api_prefixed_path_and_any_single_file_field(
    sandbox: SandboxServer, http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await upload(http, "/api" + PPA_PATH, {"offer": ppa_offer()}, auth, field="upload")

    assert response.status_code == 200
    assert sandbox.offers()[0]["path"] == "/api" + PPA_PATH


async def test_ppa_ignores_other_price_components(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    offer = {**ppa_offer(), "otherPriceComponents": "not even an object"}

    response = await upload(http, PPA_PATH, {"offer": offer}, auth)

    assert response.status_code == 200


async def test_reupload_creates_a_new_version_and_latest_wins(
    sandbox: SandboxServer, http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first = dm_offer("Solar 2026")
    second = changed(
        changed(dm_offer("Solar 2026 repriced"), "priceMatrix.0.prices", {"x": 2}), "technology", ...
    )
    second["configuration"]["technology"] = "Solar"  # same configuration, technology moved

    await upload(http, DM_PATH, {"offer": first}, auth)
    await upload(http, DM_PATH, {"offer": second}, auth)

    versions = sandbox.offers()
    assert len(versions) == 2
    assert versions[0]["versionKey"] == versions[1]["versionKey"]
    assert versions[0]["createdAt"] < versions[1]["createdAt"]
    latest = sandbox.latest_offers()
    assert [v["name"] for v in latest] == ["Solar 2026 repriced"]


async def test_name_is_not_part_of_the_version_key_but_country_is(
    sandbox: SandboxServer, http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    offers = [dm_offer("a"), dm_offer("b"), changed(dm_offer("c"), "countryCode", "AT")]

    await upload(http, DM_PATH, {"offers": offers}, auth)

    assert [v["name"] for v in sandbox.latest_offers()] == ["c", "b"]


@pytest.mark.parametrize("mode", ["request", "offer"])
async def test_reject_names(start_sandbox: StartSandbox, mode: str) -> None:
    server = start_sandbox(lead_count=0, faults={"reject_names": [{"contains": "BLOCK", "mode": mode}]})
    offers = [dm_offer("ok one", tiers=[(0, 10), (10, 20)]), dm_offer("BLOCKED"), dm_offer("ok two")]
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await upload(http, DM_PATH, {"offers": offers}, bearer(server.token()))

    body = response.json()
    if mode == "request":
        assert response.status_code == 400
        assert body["errors"] == ['offers[1].name: rejected by business rule (name contains "BLOCK")']
        assert server.offers() == []
    else:
        assert response.status_code == 200
        assert body["success"] is False
        assert [r["success"] for r in body["results"]] == [True, True, False, True]
        assert body["results"][2] == {
            "offerId": None,
            "success": False,
            "message": 'Rejected: name contains "BLOCK" (business rule)',
        }
        assert [o["name"] for o in server.offers()] == ["ok one", "ok one", "ok two"]


async def test_upload_needs_the_upload_scope(sandbox: SandboxServer, http: httpx.AsyncClient) -> None:
    leads_only = bearer(sandbox.token("sandbox-leads-only"))

    forbidden = await upload(http, DM_PATH, {"offer": dm_offer()}, leads_only)
    anonymous = await upload(http, DM_PATH, {"offer": dm_offer()}, {})

    assert (forbidden.status_code, forbidden.json()) == (403, {"error": "forbidden"})
    assert (anonymous.status_code, anonymous.json()) == (401, {"error": "unauthorized"})
    assert sandbox.offers() == []
