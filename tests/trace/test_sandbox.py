"""TraceClient against the real sandbox over HTTP: tokens, retries, rate limit, uploads, leads."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from service.trace.client import TraceClient
from service.trace.errors import CredentialsError, RejectedError
from service.trace.profile import TraceProfile
from tests.sandbox.helpers import dm_offer, ppa_offer
from tests.support.sandbox import SandboxServer, StartSandbox
from tests.trace.fakes import busiest_window, sample, settings

pytestmark = pytest.mark.integration
WAITS = "trace_bridge_token_waits_total"


@asynccontextmanager
async def connected(
    server: SandboxServer, transport: httpx.AsyncBaseTransport | None = None, **overrides: Any
) -> AsyncIterator[TraceClient]:
    credentials = server.credentials(overrides.pop("client_id", "sandbox-client"))
    values = {
        "TRACE_API_URL": credentials["api_url"],
        "TRACE_CLIENT_ID": credentials["client_id"],
        "TRACE_CLIENT_SECRET": credentials["client_secret"],
        "TRACE_AUDIENCE": credentials["audience"],
        **overrides,
    }
    async with TraceClient(settings(**values), TraceProfile(_env_file=None), transport) as client:
        yield client


async def first_page(client: TraceClient) -> list[dict[str, Any]]:
    async for page in client.iter_leads():
        return page.items
    raise AssertionError("iter_leads yielded nothing")


async def keep_calling(client: TraceClient, until: Callable[[], bool], workers: int = 4) -> int:
    """Lead calls from `workers` coroutines, back to back, until `until()`; returns the count.

    Use small pages: a loop busy parsing big ones delays every timer, the renewal's too."""
    calls = 0

    async def worker() -> None:
        nonlocal calls
        while not until():
            await first_page(client)
            calls += 1

    await asyncio.gather(*(worker() for _ in range(workers)))
    return calls


def routed(server: SandboxServer, route: str) -> list[dict[str, Any]]:
    return [record for record in server.stats()["recent"] if record["route"] == route]


async def test_a_thousand_concurrent_callers_cause_one_login(sandbox: SandboxServer) -> None:
    async with connected(sandbox) as client:
        tokens = await asyncio.gather(*(client.tokens.get() for _ in range(1000)))
    assert {token.generation for token in tokens} == {1}
    assert sandbox.stats()["logins"] == 1


async def test_short_lived_tokens_are_renewed_before_they_expire(start_sandbox: StartSandbox) -> None:
    server = start_sandbox(token_lifetime=2.0, rate_limit=100_000)
    # renew at half the lifetime: a busy shared CI box can stall the loop for 0.3 s
    tuning: dict[str, Any] = {"crm_rate_limit": 100_000, "crm_page_size": 1, "token_refresh_ratio": 0.5}
    async with connected(server, **tuning) as client:
        await first_page(client)
        waits = sample(WAITS)
        ends = time.monotonic() + 5 * 2.0
        calls = await keep_calling(client, lambda: time.monotonic() >= ends)
        assert sample(WAITS) == waits  # no caller waited for a login after the first
    stats = server.stats()
    assert calls > 50
    assert stats["logins"] >= 5
    assert stats["expired_token_requests"] == 0


async def test_revoked_tokens_recover_with_exactly_one_refresh(sandbox: SandboxServer) -> None:
    async with connected(sandbox) as client:
        await first_page(client)
        sandbox.revoke_tokens()
        assert await first_page(client)
    stats = sandbox.stats()
    assert stats["logins"] == 2
    assert stats["revoked_token_requests"] == 1


async def test_a_login_outage_is_survived_without_a_storm(start_sandbox: StartSandbox) -> None:
    server = start_sandbox(token_lifetime=5.0, rate_limit=100_000)
    async with connected(
        server,
        crm_rate_limit=100_000,
        crm_page_size=1,
        token_refresh_ratio=0.5,
        token_retry_initial=0.2,
        token_retry_max=0.4,
    ) as client:
        await first_page(client)
        waits = sample(WAITS)
        server.outage(3.0, "login")  # covers the renewal due at 2.5 s; the token lives 5 s
        await keep_calling(client, lambda: server.stats()["logins"] >= 2)
        assert sample(WAITS) == waits  # callers holding a valid token never noticed
    failed_logins = server.stats()["requests"].get("POST login 503", 0)
    assert 1 <= failed_logins <= 6  # backoff shared by busy callers: no storm
    assert server.stats()["expired_token_requests"] == 0


async def test_retries_honour_retry_after(sandbox: SandboxServer) -> None:
    sandbox.set_faults(force_429=1, retry_after=1)
    async with connected(sandbox) as client:
        assert await first_page(client)
    limited, served = routed(sandbox, "leads")
    assert (limited["status"], served["status"]) == (429, 200)
    assert served["time"] - limited["time"] >= 1.0


async def test_a_burst_never_exceeds_the_rate_limit(start_sandbox: StartSandbox) -> None:
    server = start_sandbox(rate_limit=100, rate_window=3.0)
    async with connected(server, crm_rate_limit=100, crm_rate_window=3.0, crm_page_size=1) as client:
        pages = await asyncio.gather(*(first_page(client) for _ in range(250)))
    assert len(pages) == 250
    assert server.stats()["rate_limited"] == 0
    arrivals = [record["time"] for record in routed(server, "leads")]
    assert len(arrivals) == 250
    assert busiest_window(arrivals, 3.0) <= 100


async def test_bad_credentials_fail_fast(sandbox: SandboxServer) -> None:
    async with connected(sandbox, TRACE_CLIENT_SECRET="wrong-secret", token_wait_timeout=10) as client:
        started = time.monotonic()
        with pytest.raises(CredentialsError):
            await first_page(client)
        assert time.monotonic() - started < 2
        assert client.tokens.status.credentials_rejected


async def test_single_upload_maps_every_tier_to_the_offer(sandbox: SandboxServer) -> None:
    async with connected(sandbox) as client:
        result = await client.upload_direct_marketing([dm_offer("Solar EEG", [(0, 100), (100, 1000)])])
    [outcome] = result.offers
    assert result.success
    assert outcome.success
    assert len(outcome.offer_ids) == 2
    assert sorted(outcome.offer_ids) == sorted(offer["offerId"] for offer in sandbox.offers())


async def test_batch_upload_maps_results_per_offer(sandbox: SandboxServer) -> None:
    offers = [ppa_offer("Wind A", [(0, 500), (500, 5000)]), ppa_offer("Wind B")]
    async with connected(sandbox) as client:
        result = await client.upload_ppa(offers)
    assert [(o.index, len(o.offer_ids), o.success) for o in result.offers] == [(0, 2, True), (1, 1, True)]
    assert len(sandbox.offers()) == 3


async def test_invalid_upload_is_rejected_with_tracess_message(sandbox: SandboxServer) -> None:
    broken = {key: value for key, value in dm_offer("x").items() if key != "name"}
    async with connected(sandbox) as client:
        with pytest.raises(RejectedError) as caught:
            await client.upload_direct_marketing([broken])
    assert caught.value.status == 400
    assert any("offer.name" in message for message in caught.value.messages)
    assert routed(sandbox, "upload_dm")[-1]["status"] == 400
    assert len(routed(sandbox, "upload_dm")) == 1


async def test_business_rule_rejects_one_offer_of_a_batch(sandbox: SandboxServer) -> None:
    sandbox.set_faults(reject_names=[{"contains": "Bad", "mode": "offer"}])
    offers = [dm_offer("Good", [(0, 100)]), dm_offer("Bad", [(0, 100), (100, 200)]), dm_offer("Fine")]
    async with connected(sandbox) as client:
        result = await client.upload_direct_marketing(offers)
    good, bad, fine = result.offers
    assert not result.success
    assert good.success
    assert fine.success
    assert not bad.success
    assert bad.offer_ids == ()
    assert len(bad.messages) == 2
    assert "Bad" in bad.messages[0]


async def test_iter_leads_walks_every_page(start_sandbox: StartSandbox) -> None:
    server = start_sandbox(lead_count=23)
    async with connected(server, crm_page_size=10) as client:
        pages = [page async for page in client.iter_leads()]
    assert [(page.number, len(page.items), page.has_next) for page in pages] == [
        (1, 10, True),
        (2, 10, True),
        (3, 3, False),
    ]
    assert [lead for page in pages for lead in page.items] == server.leads()


async def test_logs_of_a_whole_scenario_hold_no_secret_or_token(
    sandbox: SandboxServer, captured_logs: io.StringIO
) -> None:
    bearers: list[str] = []

    async def recording(request: httpx.Request) -> httpx.Response:
        bearers.append(request.headers.get("Authorization", ""))
        async with httpx.AsyncClient() as http:
            return await http.send(request)

    sandbox.set_faults(force_429=1, retry_after=0)
    async with connected(sandbox, httpx.MockTransport(recording)) as client:
        await first_page(client)
        sandbox.revoke_tokens()
        await client.upload_direct_marketing([dm_offer("Logged", [(0, 100)])])
        with pytest.raises(RejectedError):
            await client.upload_ppa([{"name": "broken"}])
    logs = captured_logs.getvalue()
    tokens = {bearer.removeprefix("Bearer ") for bearer in bearers if bearer}
    assert len(tokens) == 2
    assert "token.renewed" in logs
    assert "trace.upload_done" in logs
    assert "sandbox-secret" not in logs
    assert not [token for token in tokens if token in logs]
