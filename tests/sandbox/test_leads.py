"""The CRM leads feed: paging, ordering, every filter, the lead shape, seeded data."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from service.sandbox.files import FileSigner
from service.sandbox.leadgen import LeadFactory
from service.sandbox.times import parse_iso
from tests.sandbox.helpers import BASE_TIME, LEADS_PATH, bearer
from tests.support.sandbox import SandboxServer

pytestmark = pytest.mark.integration

LEAD_KEYS = {
    "id", "createdAt", "updatedAt", "status", "contact", "company",
    "tariffConfigurations", "solarAssets", "windAssets", "offerDocuments",
}  # fmt: skip
STATUSES = {"New", "InProgress", "OfferSent", "Won", "Lost", "Archived"}


@pytest.fixture(scope="module")
def seeded() -> Iterator[SandboxServer]:
    """250 seeded leads nobody changes: shared by the read-only tests of this module."""
    with SandboxServer(base_time=BASE_TIME, rate_limit=10_000) as server:
        yield server


@pytest.fixture
async def crm(seeded: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=seeded.url, headers=bearer(seeded.token())) as client:
        yield client


async def page(crm: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await crm.get(LEADS_PATH, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def ids(crm: httpx.AsyncClient, **params: Any) -> list[str]:
    return [lead["id"] for lead in (await page(crm, pageSize=100, **params))["data"]]


async def test_default_page(crm: httpx.AsyncClient) -> None:
    body = await page(crm)

    assert len(body["data"]) == 20
    assert body["pagination"] == {
        "page": 1,
        "pageSize": 20,
        "totalCount": 250,
        "totalPages": 13,
        "hasNextPage": True,
    }


async def test_last_page_and_beyond(crm: httpx.AsyncClient) -> None:
    last = await page(crm, page=13)
    beyond = await page(crm, page=14)

    assert (len(last["data"]), last["pagination"]["hasNextPage"]) == (10, False)
    assert (beyond["data"], beyond["pagination"]["hasNextPage"]) == ([], False)


async def test_page_size_is_clamped_to_100(crm: httpx.AsyncClient) -> None:
    body = await page(crm, pageSize=500)

    assert len(body["data"]) == 100
    assert body["pagination"]["pageSize"] == 100
    assert body["pagination"]["totalPages"] == 3


async def test_walking_all_pages_yields_every_lead_newest_first(
    crm: httpx.AsyncClient, seeded: SandboxServer
) -> None:
    walked: list[dict[str, Any]] = []
    for number in range(1, 4):
        walked += (await page(crm, page=number, pageSize=100))["data"]

    assert walked == seeded.leads()
    assert len({lead["id"] for lead in walked}) == 250
    keys = [(-parse_iso(lead["createdAt"]).timestamp(), lead["id"]) for lead in walked]
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page": 0}, "page must be a positive integer"),
        ({"page": "two"}, "page must be a positive integer"),
        ({"pageSize": 0}, "pageSize must be a positive integer"),
        ({"createdFrom": "yesterday"}, "createdFrom must be ISO 8601"),
        ({"updatedTo": "2026-13-01"}, "updatedTo must be ISO 8601"),
        ({"status": "New,Open"}, "status must be one of"),
    ],
)
async def test_malformed_parameter_is_a_400(
    crm: httpx.AsyncClient, params: dict[str, Any], message: str
) -> None:
    response = await crm.get(LEADS_PATH, params=params)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.json()["message"].startswith(message)


def expected(seeded: SandboxServer, keep: Any) -> list[str]:
    return [lead["id"] for lead in seeded.leads() if keep(lead)][:100]


async def test_company_filter_is_a_case_insensitive_substring(
    crm: httpx.AsyncClient, seeded: SandboxServer
) -> None:
    needle = "SOLARPARK"

    found = await ids(crm, company=needle)

    assert found
    assert found == expected(seeded, lambda lead: needle.lower() in lead["company"]["name"].lower())


async def test_status_filter_takes_lists_and_repeats(crm: httpx.AsyncClient, seeded: SandboxServer) -> None:
    wanted = {"Won", "Lost"}
    want = expected(seeded, lambda lead: lead["status"] in wanted)

    assert await ids(crm, status="Won,Lost") == want
    assert [
        lead["id"]
        for lead in (
            await crm.get(LEADS_PATH, params=[("status", "Won"), ("status", "Lost"), ("pageSize", 100)])
        ).json()["data"]
    ] == want
    assert await ids(crm, status="Won") == expected(seeded, lambda lead: lead["status"] == "Won")


@pytest.mark.parametrize("field", ["created", "updated"])
async def test_date_range_is_inclusive_exclusive(
    crm: httpx.AsyncClient, seeded: SandboxServer, field: str
) -> None:
    key = f"{field}At"
    pivot = seeded.leads()[40]
    low, high = parse_iso(pivot[key]), parse_iso(pivot[key]) + timedelta(days=30)

    found = await ids(crm, **{f"{field}From": pivot[key], f"{field}To": high.isoformat()})
    up_to_pivot = await ids(crm, **{f"{field}To": pivot[key]})

    assert pivot["id"] in found
    assert found == expected(seeded, lambda lead: low <= parse_iso(lead[key]) < high)
    assert pivot["id"] not in up_to_pivot
    assert up_to_pivot == expected(seeded, lambda lead: parse_iso(lead[key]) < low)


async def test_contact_filters(crm: httpx.AsyncClient, seeded: SandboxServer) -> None:
    target = next(lead for lead in seeded.leads() if lead["contact"]["phone"])
    contact = target["contact"]
    national = "0" + contact["phone"].removeprefix("+49 ").replace(" ", "/")

    assert target["id"] in await ids(crm, email=contact["email"].upper())
    assert await ids(crm, phone=national) == expected(
        seeded,
        lambda lead: (lead["contact"]["phone"] or "").replace(" ", "") == contact["phone"].replace(" ", ""),
    )
    part = contact["lastName"][1:4].upper()
    assert await ids(crm, contactName=part) == expected(
        seeded,
        lambda lead: part.lower() in f"{lead['contact']['firstName']} {lead['contact']['lastName']}".lower(),
    )


async def test_unknown_and_empty_parameters_are_ignored(crm: httpx.AsyncClient) -> None:
    body = await page(crm, sort="name", company="")

    assert body["pagination"]["totalCount"] == 250


def attachments(lead: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for asset in lead["solarAssets"] + lead["windAssets"] for item in asset["attachments"]]


async def test_every_lead_has_the_sim_shape(seeded: SandboxServer) -> None:
    leads = seeded.leads()
    statuses = {lead["status"] for lead in leads}
    kinds = {config["type"] for lead in leads for config in lead["tariffConfigurations"]}

    assert statuses == STATUSES
    assert kinds == {"DirectMarketing", "PpaUpstream", "PpaDownstream"}
    for lead in leads:
        assert set(lead) == LEAD_KEYS
        created, updated = parse_iso(lead["createdAt"]), parse_iso(lead["updatedAt"])
        assert BASE_TIME - timedelta(days=366) <= created <= updated <= BASE_TIME
        assert 1 <= len(lead["tariffConfigurations"]) <= 3
        assert lead["solarAssets"] or lead["windAssets"]
        assert re.fullmatch(r"DE\d{9}", lead["company"]["vatId"] or "DE000000000")
        assert lead["company"]["legalForm"] in {"GmbH", "AG", "KG", "GmbH & Co. KG", "eG"}
        assert lead["company"]["name"].endswith(lead["company"]["legalForm"])
        assert (lead["contact"]["phone"] or "+49").startswith("+49")
        for item in attachments(lead):
            assert item["originalDownloadUrl"].startswith(
                f"{seeded.url}/api/crm/leads/energy-tariff/attachments/"
            )
            assert (item["processedDownloadUrl"] is None) == (
                item["category"] != "ProductionProfile" or item["processingStatus"] != "Processed"
            )
            if item["metadata"]:
                assert item["metadata"]["timezone"] == "Europe/Berlin"
                assert item["metadata"]["resolution"] in {"PT15M", "PT1H"}


def without_url(leads: list[dict[str, Any]], url: str) -> str:
    return repr(leads).replace(url, "<sandbox>")


def test_same_seed_gives_identical_leads(seeded: SandboxServer) -> None:
    with SandboxServer(base_time=BASE_TIME) as twin, SandboxServer(base_time=BASE_TIME, seed=7) as other:
        assert without_url(twin.leads(), twin.url) == without_url(seeded.leads(), seeded.url)
        assert without_url(other.leads(), other.url) != without_url(seeded.leads(), seeded.url)


def test_generating_2500_leads_is_fast() -> None:
    started = time.perf_counter()
    leads = LeadFactory(1, datetime.now(BASE_TIME.tzinfo), FileSigner("k" * 32)).seeded(2500)

    assert len({lead["id"] for lead in leads}) == 2500
    assert time.perf_counter() - started < 2.0
