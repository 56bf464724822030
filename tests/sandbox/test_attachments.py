"""Attachment proxy (302, D) and the signed local file store behind it (SIM)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from service.sandbox.files import FileSigner
from service.sandbox.times import utcnow
from tests.sandbox.helpers import BASE_TIME, bearer
from tests.support.sandbox import SandboxServer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def seeded() -> Iterator[SandboxServer]:
    with SandboxServer(base_time=BASE_TIME, lead_count=60, rate_limit=10_000) as server:
        yield server


@pytest.fixture
async def crm(seeded: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=seeded.url, headers=bearer(seeded.token())) as client:
        yield client


def find(seeded: SandboxServer, **wanted: Any) -> dict[str, Any]:
    for lead in seeded.leads():
        for asset in lead["solarAssets"] + lead["windAssets"]:
            for item in asset["attachments"]:
                if all(item[key] == value for key, value in wanted.items()):
                    return dict(item)
    raise LookupError(wanted)


async def test_profile_download_redirects_to_a_signed_csv(
    crm: httpx.AsyncClient, seeded: SandboxServer
) -> None:
    item = find(seeded, category="ProductionProfile", processingStatus="Processed")

    redirect = await crm.get(item["originalDownloadUrl"])
    location = redirect.headers["location"]
    query = parse_qs(urlsplit(location).query)
    async with httpx.AsyncClient() as anonymous:
        file = await anonymous.get(location)

    assert redirect.status_code == 302
    assert location.startswith(f"{seeded.url}/_sandbox/files/{item['id']}?")
    assert query["X-Amz-Expires"] == ["900"]
    assert query["variant"] == ["original"]
    assert file.status_code == 200
    assert file.headers["content-type"].startswith("text/csv")
    assert file.text.startswith("Zeitstempel;Leistung_kW\n")
    assert len(file.content) == item["sizeBytes"]
    assert item["fileName"] in file.headers["content-disposition"]


async def test_processed_variant(crm: httpx.AsyncClient, seeded: SandboxServer) -> None:
    item = find(seeded, category="ProductionProfile", processingStatus="Processed")

    redirect = await crm.get(item["processedDownloadUrl"])
    async with httpx.AsyncClient() as anonymous:
        file = await anonymous.get(redirect.headers["location"])

    assert file.status_code == 200
    assert file.text.startswith("timestamp,value_kw\n2025-06-21T00:00:00+02:00,")


async def test_the_same_file_always_has_the_same_bytes(crm: httpx.AsyncClient, seeded: SandboxServer) -> None:
    item = find(seeded, category="ProductionProfile")
    bodies = []
    async with httpx.AsyncClient() as anonymous:
        for _ in range(2):
            redirect = await crm.get(item["originalDownloadUrl"])
            bodies.append((await anonymous.get(redirect.headers["location"])).content)

    assert bodies[0] == bodies[1]


async def test_pdf_attachment_has_no_processed_variant(crm: httpx.AsyncClient, seeded: SandboxServer) -> None:
    item = find(seeded, contentType="application/pdf")

    redirect = await crm.get(item["originalDownloadUrl"])
    async with httpx.AsyncClient() as anonymous:
        file = await anonymous.get(redirect.headers["location"])
    processed = await crm.get(item["originalDownloadUrl"].replace("original", "processed"))

    assert file.content.startswith(b"%PDF-")
    assert len(file.content) == item["sizeBytes"]
    assert (processed.status_code, processed.json()) == (404, {"error": "not_found"})


async def test_unprocessed_profile_has_no_processed_file(
    crm: httpx.AsyncClient, seeded: SandboxServer
) -> None:
    item = find(seeded, category="ProductionProfile", processingStatus="Pending")

    response = await crm.get(item["originalDownloadUrl"].replace("original", "processed"))

    assert item["processedDownloadUrl"] is None
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/crm/leads/energy-tariff/attachments/00000000-0000-4000-8000-000000000000/download", 404),
        ("{original}&variant=thumbnail", 400),
    ],
    ids=["unknown-id", "bad-variant"],
)
async def test_download_errors(crm: httpx.AsyncClient, seeded: SandboxServer, path: str, status: int) -> None:
    item = find(seeded, category="ProductionProfile")
    url = path.format(original=item["originalDownloadUrl"].replace("variant=original", "x=1"))

    response = await crm.get(url)

    assert response.status_code == status


async def test_download_needs_a_token(seeded: SandboxServer) -> None:
    item = find(seeded, category="ProductionProfile")
    async with httpx.AsyncClient() as anonymous:
        response = await anonymous.get(item["originalDownloadUrl"])

    assert response.status_code == 401


async def test_tampered_or_expired_file_urls_are_forbidden(seeded: SandboxServer) -> None:
    item = find(seeded, category="ProductionProfile", processingStatus="Processed")
    signer = FileSigner(seeded.config.jwt_secret.get_secret_value())
    expired = signer.path(item["id"], "original", utcnow() - timedelta(seconds=901), 900)
    fresh = signer.path(item["id"], "original", utcnow(), 900)
    async with httpx.AsyncClient(base_url=seeded.url) as anonymous:
        responses = [
            await anonymous.get(expired),
            await anonymous.get(fresh.replace("variant=original", "variant=processed")),
            await anonymous.get(fresh[:-1] + ("0" if fresh[-1] != "0" else "1")),
            await anonymous.get(fresh),
        ]

    assert [r.status_code for r in responses] == [403, 403, 403, 200]


async def test_offer_documents_are_presigned_from_the_base_time(seeded: SandboxServer) -> None:
    """Seeded documents are signed at the base time for 7 days: long expired for 2026-01-15."""
    document = next(doc for lead in seeded.leads() for doc in lead["offerDocuments"])
    async with httpx.AsyncClient() as anonymous:
        expired = await anonymous.get(document["url"])
        with SandboxServer(lead_count=40) as current:
            fresh = next(doc for lead in current.leads() for doc in lead["offerDocuments"])
            valid = await anonymous.get(fresh["url"])

    assert document["expiresAt"] == "2026-01-22T12:00:00.000Z"
    assert expired.status_code == 403
    assert (valid.status_code, valid.headers["content-type"]) == (200, "application/pdf")
