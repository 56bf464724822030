"""TraceAuth: Bearer header, one renewal after a 401, never a loop."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from service.trace.client import TraceClient
from service.trace.errors import AuthError, ForbiddenError
from service.trace.login import LOGIN_PATH
from service.trace.profile import TraceProfile
from tests.trace.fakes import FakeTrace, json_response, settings

LEADS_PAGE = {"data": [], "pagination": {"hasNextPage": False}}


async def leads_ok(request: httpx.Request) -> httpx.Response:
    return json_response(200, LEADS_PAGE)


async def first_page(client: TraceClient) -> None:
    async for _ in client.iter_leads():
        return


async def test_requests_carry_the_current_token(client: TraceClient, fake: FakeTrace) -> None:
    fake.api = leads_ok
    await first_page(client)
    [(_, request)] = fake.requests
    assert request.headers["Authorization"] == f"Bearer {fake.issued[0]}"
    assert request.url.path == "/api/crm/leads/energy-tariff"


async def test_revoked_token_recovers_with_one_renewal(client: TraceClient, fake: FakeTrace) -> None:
    fake.api = leads_ok
    await first_page(client)
    fake.revoke()
    await first_page(client)
    assert fake.logins == 2
    assert fake.bearers == [fake.issued[0], fake.issued[0], fake.issued[1]]


async def test_a_hundred_concurrent_401s_cost_one_renewal(fake: FakeTrace, profile: TraceProfile) -> None:
    fake.api = leads_ok
    held: list[httpx.Request] = []
    all_sent = asyncio.Event()

    async def hold_until_all_sent(request: httpx.Request) -> httpx.Response:
        if request.url.path != LOGIN_PATH and not all_sent.is_set():
            held.append(request)
            if len(held) == 100:
                all_sent.set()
            await all_sent.wait()
        return await fake.handle(request)

    transport = httpx.MockTransport(hold_until_all_sent)
    async with TraceClient(settings(crm_rate_limit=1000), profile, transport) as client:
        await client.tokens.get()
        fake.revoke()
        await asyncio.gather(*(first_page(client) for _ in range(100)))
    assert fake.bearers.count(fake.issued[0]) == 100  # every request hit the revoked token
    assert fake.logins == 2
    assert fake.bearers.count(fake.issued[1]) == 100


async def test_second_401_is_an_auth_error_not_a_loop(client: TraceClient, fake: FakeTrace) -> None:
    async def always_401(request: httpx.Request) -> httpx.Response:
        return json_response(401, {"error": "unauthorized"})

    fake.api = always_401
    with pytest.raises(AuthError) as caught:
        await first_page(client)
    assert type(caught.value) is AuthError
    assert caught.value.status == 401
    assert not caught.value.retryable
    assert len(fake.requests) == 2
    assert fake.logins == 2


async def test_403_is_forbidden_and_permanent(client: TraceClient, fake: FakeTrace) -> None:
    async def forbidden(request: httpx.Request) -> httpx.Response:
        return json_response(403, {"error": "forbidden"})

    fake.api = forbidden
    with pytest.raises(ForbiddenError) as caught:
        await first_page(client)
    assert caught.value.endpoint == "crm_leads"
    assert "forbidden" in str(caught.value)
    assert len(fake.requests) == 1
