"""TokenManager: single flight, schedule, invalidation by generation, failure handling."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from itertools import pairwise
from typing import Any

import httpx
import orjson
import pytest

from service.logs import MASK, secrets
from service.trace.errors import CredentialsError, TokenUnavailableError, UnavailableError
from service.trace.login import refresh_after
from service.trace.token import TokenManager
from tests.support.waiting import eventually
from tests.trace.fakes import SECRET, FakeTrace, json_response, sample, settings

WAITS = "trace_bridge_token_waits_total"


@asynccontextmanager
async def running(
    transport: httpx.AsyncBaseTransport, clock: Callable[[], float] = time.monotonic, **overrides: Any
) -> AsyncIterator[TokenManager]:
    async with (
        httpx.AsyncClient(base_url="https://trace.test", transport=transport) as http,
        TokenManager(settings(**overrides), http, clock=clock) as tokens,
    ):
        yield tokens


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("lifetime", "ratio", "margin", "expected"),
    [
        (86400, 0.8, 60, 69120),  # documented lifetime: the ratio is the earlier bound
        (100, 0.8, 60, 40),  # the margin is the earlier bound
        (3, 0.8, 60, 2.4),  # tiny test lifetime: no room for the margin, the ratio rules
    ],
)
def test_refresh_time_is_the_earlier_of_ratio_and_margin(
    lifetime: float, ratio: float, margin: float, expected: float
) -> None:
    assert refresh_after(lifetime, ratio, margin) == pytest.approx(expected)


async def test_lifetime_is_measured_on_the_injected_clock_from_when_the_login_was_sent() -> None:
    clock, fake = FakeClock(), FakeTrace(lifetime=100)

    async def slow_network(request: httpx.Request) -> httpx.Response:
        clock.now += 5  # the answer arrives five seconds after sending
        return await fake.handle(request)

    async with running(httpx.MockTransport(slow_network), clock, token_refresh_margin=60) as tokens:
        token = await tokens.get()
        assert (token.issued_at, token.expires_at, token.refresh_at) == (1000, 1100, 1040)
        assert tokens.status.expires_in == pytest.approx(95)
        clock.now = 1100  # expired on our clock: the next caller must get a new token
        assert (await tokens.get()).generation == 2
    assert fake.logins == 2


async def test_a_thousand_concurrent_callers_share_one_login() -> None:
    fake = FakeTrace()
    fake.login_gate = asyncio.Event()
    async with running(fake.transport()) as tokens:
        callers = [asyncio.create_task(tokens.get()) for _ in range(1000)]
        await eventually(lambda: fake.logins == 1)
        fake.login_gate.set()
        results = await asyncio.gather(*callers)
    assert fake.logins == 1
    assert {token.generation for token in results} == {1}


async def test_invalidating_one_generation_many_times_renews_once() -> None:
    fake = FakeTrace()
    async with running(fake.transport()) as tokens:
        first = await tokens.get()
        for _ in range(100):
            tokens.invalidate(first.generation)
        renewed = await asyncio.gather(*(tokens.get() for _ in range(100)))
        tokens.invalidate(first.generation)  # stale: a newer token is already current
        assert (await tokens.get()).generation == 2
    assert {token.generation for token in renewed} == {2}
    assert fake.logins == 2


async def test_renews_ahead_of_expiry_so_callers_never_wait() -> None:
    fake = FakeTrace(lifetime=0.3)
    async with running(fake.transport(), token_refresh_margin=0, token_refresh_ratio=0.5) as tokens:
        await tokens.get()
        waits = sample(WAITS)
        while fake.logins < 6:  # five renewals, driven by the background task alone
            token = await tokens.get()
            assert token.value in fake.valid
            await asyncio.sleep(0)
        assert sample(WAITS) == waits
    gaps = [later - earlier for earlier, later in pairwise(fake.login_attempts)]
    assert all(gap < fake.lifetime for gap in gaps), gaps


async def test_failed_refresh_keeps_serving_the_valid_token_and_retries() -> None:
    fake = FakeTrace(lifetime=1.0)
    failures = sample("trace_bridge_token_failures_total", reason="unavailable")
    async with running(fake.transport(), token_refresh_margin=0, token_refresh_ratio=0.3) as tokens:
        first = await tokens.get()
        fake.login_failures.extend([json_response(503, {}), httpx.ConnectError("refused")])
        waits = sample(WAITS)
        while fake.logins < 4:
            assert await tokens.get() == first
            await asyncio.sleep(0)
        await eventually(lambda: tokens.status.last_error is None)
        assert (await tokens.get()).generation == 2
        assert sample(WAITS) == waits
    assert sample("trace_bridge_token_failures_total", reason="unavailable") == failures + 2


async def test_no_token_during_an_outage_fails_in_time_with_bounded_logins() -> None:
    fake = FakeTrace()
    fake.login_outage = 503
    async with running(
        fake.transport(), token_wait_timeout=0.3, token_retry_initial=0.05, token_retry_max=0.1
    ) as tokens:
        started = time.monotonic()
        outcomes = await asyncio.gather(*(tokens.get() for _ in range(50)), return_exceptions=True)
        elapsed = time.monotonic() - started
    assert all(isinstance(outcome, TokenUnavailableError) for outcome in outcomes)
    error = outcomes[0]
    assert isinstance(error, TokenUnavailableError)
    assert isinstance(error.last_error, UnavailableError)
    assert error.last_error.status == 503
    assert error.retryable
    assert elapsed < 1.0
    assert 2 <= fake.logins <= 8  # a shared backoff schedule, not one login per caller


async def test_rejected_credentials_fail_fast_and_are_reported_once(captured_logs: io.StringIO) -> None:
    fake = FakeTrace()
    fake.login_outage = 401
    async with running(fake.transport(), token_wait_timeout=5, token_retry_max=30) as tokens:
        started = time.monotonic()
        with pytest.raises(CredentialsError):
            await tokens.get()
        assert time.monotonic() - started < 1.0
        with pytest.raises(CredentialsError):
            await tokens.get()
        status = tokens.status
    assert fake.logins == 1  # backing off to token_retry_max, not retrying in a loop
    assert status.credentials_rejected
    assert status.last_error == "credentials"
    assert not status.has_valid_token
    lines = [orjson.loads(line) for line in captured_logs.getvalue().splitlines()]
    rejected = [line for line in lines if line["message"] == "token.credentials_rejected"]
    assert len(rejected) == 1
    assert rejected[0]["level"] == "error"
    assert SECRET not in captured_logs.getvalue()


async def test_tokens_are_registered_as_secrets_and_masked_in_repr() -> None:
    fake = FakeTrace(lifetime=0.2)
    async with running(fake.transport(), token_refresh_margin=0, token_refresh_ratio=0.5) as tokens:
        assert secrets.scrub(SECRET) == MASK
        first = await tokens.get()
        assert first.value not in repr(first)
        assert secrets.scrub(first.value) == MASK
        # replaced and expired: no longer needs masking, so the registry stays bounded
        await eventually(lambda: secrets.scrub(first.value) == first.value, timeout=5)


async def test_get_before_start_is_a_programming_error() -> None:
    async with httpx.AsyncClient(transport=FakeTrace().transport()) as http:
        tokens = TokenManager(settings(), http)
        with pytest.raises(RuntimeError):
            await tokens.get()
