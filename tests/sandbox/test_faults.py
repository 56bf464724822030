"""Fault injection: random 5xx, outages, forced 429s, latency, and the faults endpoint."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.sandbox.helpers import DM_PATH, LEADS_PATH, LOGIN_PATH, bearer, credentials, dm_offer, upload
from tests.support.sandbox import SandboxServer, StartSandbox

pytestmark = pytest.mark.integration


async def statuses(server: SandboxServer, count: int = 1) -> dict[str, list[int]]:
    """Status codes of `count` calls each to login, upload and leads."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        auth = bearer(server.token())
        result: dict[str, list[int]] = {"login": [], "upload": [], "leads": []}
        for _ in range(count):
            result["login"].append((await http.post(LOGIN_PATH, json=credentials())).status_code)
            result["upload"].append((await upload(http, DM_PATH, {"offer": dm_offer()}, auth)).status_code)
            result["leads"].append((await http.get(LEADS_PATH, headers=auth)).status_code)
    return result


async def test_error_rate_one_fails_uploads_and_leads_but_not_login(start_sandbox: StartSandbox) -> None:
    server = start_sandbox(lead_count=1, faults={"error_rate": 1.0})

    seen = await statuses(server, count=4)

    assert seen["login"] == [200] * 4
    assert set(seen["upload"] + seen["leads"]) <= {500, 503}
    assert server.offers() == []


async def test_error_on_login_and_custom_statuses(start_sandbox: StartSandbox) -> None:
    server = start_sandbox(
        lead_count=1, faults={"error_rate": 1.0, "error_on_login": True, "error_statuses": [502]}
    )

    seen = await statuses(server)

    assert seen == {"login": [502], "upload": [502], "leads": [502]}


async def test_error_draws_are_reproducible_per_seed(start_sandbox: StartSandbox) -> None:
    runs = [
        await statuses(start_sandbox(lead_count=1, faults={"error_rate": 0.5}), count=6) for _ in range(2)
    ]

    assert runs[0] == runs[1]
    assert {200, 500, 503} & set(runs[0]["leads"] + runs[0]["upload"]) != {200}


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("all", {"login": [503], "upload": [503], "leads": [503]}),
        ("login", {"login": [503], "upload": [200], "leads": [200]}),
        ("upload", {"login": [200], "upload": [503], "leads": [200]}),
        ("leads", {"login": [200], "upload": [200], "leads": [503]}),
    ],
)
async def test_outage_by_scope(sandbox: SandboxServer, scope: str, expected: dict[str, list[int]]) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        started = await http.post("/_sandbox/outage", json={"seconds": 30, "scope": scope})

    assert started.json()["outage"]["scope"] == scope
    assert await statuses(sandbox) == expected
    sandbox.outage(0)
    assert await statuses(sandbox) == {"login": [200], "upload": [200], "leads": [200]}


async def test_outage_can_start_with_the_server(start_sandbox: StartSandbox) -> None:
    server = start_sandbox(lead_count=1, outage={"seconds": 30, "scope": "login"})

    assert (await statuses(server))["login"] == [503]


@pytest.mark.parametrize(("scope", "login_status"), [("leads", 200), ("all", 429)])
async def test_force_429(sandbox: SandboxServer, scope: str, login_status: int) -> None:
    sandbox.set_faults(force_429=2, force_429_scope=scope, retry_after=3)
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        login = await http.post(LOGIN_PATH, json=credentials())
        leads = [await http.get(LEADS_PATH, headers=bearer(sandbox.token())) for _ in range(3)]

    assert login.status_code == login_status
    expected = [429, 200, 200] if scope == "all" else [429, 429, 200]
    assert [r.status_code for r in leads] == expected
    assert leads[0].headers["Retry-After"] == "3"
    assert leads[0].headers["X-RateLimit-Remaining"] == "0"
    assert sandbox.faults()["force_429"] == 0


async def test_latency_is_added_to_trace_routes_only(sandbox: SandboxServer) -> None:
    sandbox.set_faults(latency_ms=300)
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        started = time.perf_counter()
        await http.get(LEADS_PATH, headers=bearer(sandbox.token()))
        trace_call = time.perf_counter() - started
        started = time.perf_counter()
        await http.get("/_sandbox/stats")
        control_call = time.perf_counter() - started

    assert trace_call >= 0.3
    assert control_call < 0.3


async def test_faults_endpoint_validates_and_merges(sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        changed = await http.put("/_sandbox/faults", json={"error_rate": 0.25})
        merged = await http.put("/_sandbox/faults", json={"latency_ms": 5})
        too_high = await http.put("/_sandbox/faults", json={"error_rate": 2})
        unknown = await http.put("/_sandbox/faults", json={"eror_rate": 1})
        current = await http.get("/_sandbox/faults")

    assert changed.json()["error_rate"] == 0.25
    assert (merged.json()["error_rate"], merged.json()["latency_ms"]) == (0.25, 5)
    assert too_high.status_code == 400
    assert "error_rate" in too_high.json()["message"]
    assert unknown.status_code == 400
    assert current.json() == merged.json()


async def test_bad_outage_request_is_a_400(sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        response = await http.post("/_sandbox/outage", json={"seconds": 5, "scope": "everything"})

    assert response.status_code == 400
