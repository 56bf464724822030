"""The CRM rate limit: fixed window per client, documented headers, 429 with Retry-After."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.sandbox.helpers import LEADS_PATH, bearer
from tests.support.sandbox import StartSandbox
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


async def test_limit_plus_one_is_refused(start_sandbox: StartSandbox) -> None:
    server = start_sandbox(lead_count=3, rate_limit=5, rate_window=30)
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(server.token())) as http:
        responses = [await http.get(LEADS_PATH) for _ in range(6)]

    allowed, refused = responses[:5], responses[5]
    assert [r.status_code for r in allowed] == [200] * 5
    assert [int(r.headers["X-RateLimit-Remaining"]) for r in allowed] == [4, 3, 2, 1, 0]
    resets = {int(r.headers["X-RateLimit-Reset"]) for r in responses}
    assert len(resets) == 1
    assert time.time() < resets.pop() <= time.time() + 31
    assert refused.status_code == 429
    assert refused.json() == {"error": "rate_limited"}
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    assert server.stats()["rate_limited"] == 1
    assert server.stats()["requests"]["GET leads 429"] == 1


async def test_each_client_has_its_own_window(start_sandbox: StartSandbox) -> None:
    server = start_sandbox(lead_count=1, rate_limit=2, rate_window=30)
    async with httpx.AsyncClient(base_url=server.url) as http:
        for _ in range(3):
            await http.get(LEADS_PATH, headers=bearer(server.token()))
        other = await http.get(LEADS_PATH, headers=bearer(server.token("sandbox-leads-only")))

    assert other.status_code == 200
    assert other.headers["X-RateLimit-Remaining"] == "1"


async def test_a_new_window_starts_after_the_old_one_ends(start_sandbox: StartSandbox) -> None:
    server = start_sandbox(lead_count=1, rate_limit=1, rate_window=0.3)
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(server.token())) as http:
        first, second = await http.get(LEADS_PATH), await http.get(LEADS_PATH)

        async def allowed_again() -> bool:
            return (await http.get(LEADS_PATH)).status_code == 200

        recovered: bool = await eventually(allowed_again, timeout=5, message="window never reset")

    assert (first.status_code, second.status_code, recovered) == (200, 429, True)


async def test_upload_routes_are_not_rate_limited(start_sandbox: StartSandbox) -> None:
    server = start_sandbox(lead_count=0, rate_limit=1, rate_window=30)
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(server.token())) as http:
        statuses = [
            (await http.post("/tariff-management/offers/schedules/contract-options", json={})).status_code
            for _ in range(3)
        ]

    assert statuses == [400] * 3
    assert server.stats()["rate_limited"] == 0
