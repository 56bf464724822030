"""Changing leads at run time: new, merged, raw and updated leads, over HTTP and the harness."""

from __future__ import annotations

import httpx
import pytest

from service.sandbox.times import parse_iso, utcnow
from tests.sandbox.helpers import LEADS_PATH
from tests.support.sandbox import SandboxServer, StartSandbox

pytestmark = pytest.mark.integration


@pytest.fixture
def small(start_sandbox: StartSandbox) -> SandboxServer:
    return start_sandbox(lead_count=5)


async def feed(server: SandboxServer, **params: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get(
            LEADS_PATH, params=params, headers={"Authorization": f"Bearer {server.token()}"}
        )
    data: list[dict[str, object]] = response.json()["data"]
    return data


async def test_new_leads_are_created_now_and_listed_first(small: SandboxServer) -> None:
    before = utcnow()
    async with httpx.AsyncClient(base_url=small.url) as http:
        response = await http.post("/_sandbox/leads", json={"count": 2})

    added = response.json()
    assert response.status_code == 201
    assert len(added) == 2
    assert all(parse_iso(lead["createdAt"]) >= before.replace(microsecond=0) for lead in added)
    assert {lead["id"] for lead in (await feed(small))[:2]} == {lead["id"] for lead in added}
    assert len(small.leads()) == 7


async def test_partial_lead_is_merged_onto_a_generated_one(small: SandboxServer) -> None:
    template = {"status": "Won", "company": {"name": "Nordlicht Energie GmbH"}}
    async with httpx.AsyncClient(base_url=small.url) as http:
        (lead,) = (await http.post("/_sandbox/leads", json=template)).json()

    assert lead["status"] == "Won"
    assert lead["company"]["name"] == "Nordlicht Energie GmbH"
    assert lead["company"]["address"]["countryCode"] == "DE"  # the rest of the company stays
    assert [found["id"] for found in await feed(small, company="nordlicht")] == [lead["id"]]


async def test_harness_adds_leads_with_a_template(small: SandboxServer) -> None:
    added = small.add_leads(3, status="Archived")

    assert [lead["status"] for lead in added] == ["Archived"] * 3
    assert len(await feed(small, status="Archived")) >= 3


@pytest.mark.parametrize("body", [{"count": 0}, {"count": "2"}, [1]])
async def test_bad_add_request_is_a_400(small: SandboxServer, body: object) -> None:
    async with httpx.AsyncClient(base_url=small.url) as http:
        response = await http.post("/_sandbox/leads", json=body)

    assert response.status_code == 400


async def test_raw_lead_is_served_verbatim(small: SandboxServer) -> None:
    raw = {"status": "New", "createdAt": "2099-01-01T00:00:00Z", "contact": None}
    async with httpx.AsyncClient(base_url=small.url) as http:
        stored = (await http.post("/_sandbox/leads/raw", json=raw)).json()

    assert stored == raw
    assert (await feed(small))[0] == raw


async def test_update_bumps_updated_at_strictly(small: SandboxServer) -> None:
    lead = small.leads()[0]
    async with httpx.AsyncClient(base_url=small.url) as http:
        first = (await http.patch(f"/_sandbox/leads/{lead['id']}", json={"status": "Won"})).json()
    second = small.update_lead(lead["id"], contact={"position": "CFO"})

    assert first["status"] == "Won"
    assert second["contact"]["position"] == "CFO"
    assert second["contact"]["email"] == lead["contact"]["email"]
    stamps = [parse_iso(x["updatedAt"]) for x in (lead, first, second)]
    assert stamps[0] < stamps[1] < stamps[2]
    assert [x["id"] for x in await feed(small, updatedFrom=first["updatedAt"])] == [lead["id"]]


async def test_unknown_lead_cannot_be_updated(small: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=small.url) as http:
        response = await http.patch("/_sandbox/leads/nope", json={"status": "Won"})

    assert response.status_code == 404
    with pytest.raises(KeyError):
        small.update_lead("nope", status="Won")
