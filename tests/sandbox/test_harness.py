"""The harness itself: restart on the same port, stats and request log, reset."""

from __future__ import annotations

import httpx
import pytest

from tests.sandbox.helpers import DM_PATH, LEADS_PATH, LOGIN_PATH, bearer, credentials, dm_offer, upload
from tests.support.sandbox import SandboxServer, StartSandbox

pytestmark = pytest.mark.integration


async def test_restart_keeps_port_and_state(sandbox: SandboxServer) -> None:
    port, token = sandbox.port, sandbox.token()
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        await upload(http, DM_PATH, {"offer": dm_offer()}, bearer(token))
        sandbox.stop()
        with pytest.raises(httpx.ConnectError):
            await http.get(LEADS_PATH, headers=bearer(token))
        assert len(sandbox.offers()) == 1  # control API works while stopped
        sandbox.start()
        response = await http.get(LEADS_PATH, headers=bearer(token))

    assert sandbox.port == port
    assert response.status_code == 200
    assert len(sandbox.offers()) == 1


def test_context_manager_and_idempotent_stop() -> None:
    with SandboxServer(lead_count=0) as server:
        assert server.running
        assert server.start() is server
    assert not server.running
    server.stop()


def test_url_is_unknown_before_the_first_start() -> None:
    with pytest.raises(RuntimeError, match="not been started"):
        _ = SandboxServer(lead_count=0).url


async def test_stats_count_routes_and_keep_a_bounded_log(start_sandbox: StartSandbox) -> None:
    server = start_sandbox(lead_count=1, request_log_size=3)
    async with httpx.AsyncClient(base_url=server.url) as http:
        token = (await http.post(LOGIN_PATH, json=credentials())).json()["access_token"]
        for _ in range(3):
            await http.get(LEADS_PATH, headers=bearer(token))
        await http.get(LEADS_PATH)
        stats = (await http.get("/_sandbox/stats")).json()

    assert stats["logins"] == 1
    assert stats["requests"] == {"POST login 200": 1, "GET leads 200": 3, "GET leads 401": 1}
    recent = stats["recent"]
    assert [(r["route"], r["status"], r["client"]) for r in recent] == [
        ("leads", 200, "sandbox-client"),
        ("leads", 200, "sandbox-client"),
        ("leads", 401, None),
    ]
    assert [r["time"] for r in recent] == sorted(r["time"] for r in recent)
    assert recent[0]["method"] == "GET"
    assert recent[0]["path"] == LEADS_PATH
    assert server.stats() == stats


async def test_reset_forgets_offers_stats_and_faults(start_sandbox: StartSandbox) -> None:
    server = start_sandbox(lead_count=2, faults={"latency_ms": 1})
    async with httpx.AsyncClient(base_url=server.url) as http:
        await upload(http, DM_PATH, {"offer": dm_offer()}, bearer(server.token()))
        server.set_faults(error_rate=1.0)
        server.outage(60)
        reset = await http.post("/_sandbox/reset")

    assert reset.status_code == 200
    assert server.offers() == []
    assert server.stats()["requests"] == {}
    faults = server.faults()
    assert (faults["error_rate"], faults["latency_ms"], faults["outage"]) == (0.0, 1.0, None)
    assert len(server.leads()) == 2


async def test_credentials_of_the_demo_clients(sandbox: SandboxServer) -> None:
    creds = sandbox.credentials("sandbox-upload-only")

    assert creds == {
        "api_url": sandbox.url,
        "client_id": "sandbox-upload-only",
        "client_secret": "sandbox-secret",
        "audience": "https://trace-sandbox.local",
    }
    with pytest.raises(KeyError):
        sandbox.credentials("nobody")
