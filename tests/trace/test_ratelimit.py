"""RateLimiter and RateLimitedTransport: no window ever over the limit, pauses, deadlines."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from service.trace.errors import RateLimitedError
from service.trace.profile import ResetUnit
from service.trace.ratelimit import RateLimiter
from service.trace.transport import DEADLINE, TraceTransport
from tests.trace.fakes import busiest_window, sample


async def test_no_window_ever_holds_more_than_the_limit() -> None:
    limiter = RateLimiter(5, 0.2, name="test")
    arrivals: list[float] = []

    async def request(latency: float) -> None:
        async with limiter.slot():
            await asyncio.sleep(latency)  # simulated network time: TRACE sees the call mid-way
            arrivals.append(time.monotonic())
            await asyncio.sleep(latency)

    started = time.monotonic()
    await asyncio.gather(*(request(0.002 * (index % 7)) for index in range(23)))
    assert busiest_window(arrivals, 0.2) <= 5
    assert time.monotonic() - started >= 4 * 0.2  # 23 calls need at least five windows


async def test_in_flight_requests_hold_their_slot() -> None:
    limiter = RateLimiter(2, 0.05, name="test")
    release = asyncio.Event()

    async def hold() -> None:
        async with limiter.slot():
            await release.wait()

    holders = [asyncio.create_task(hold()) for _ in range(2)]
    third = asyncio.create_task(limiter.slot().__aenter__())
    done, _ = await asyncio.wait([third], timeout=0.2)  # four windows: still no slot
    assert not done
    release.set()
    await asyncio.gather(*holders)
    await asyncio.wait_for(third, timeout=1)


async def test_pause_until_holds_every_caller() -> None:
    limiter = RateLimiter(100, 1.0, name="test")
    resume = time.monotonic() + 0.15
    limiter.pause_until(resume)
    waits = sample("trace_bridge_rate_limit_waits_total")
    async with limiter.slot():
        assert time.monotonic() >= resume
    assert sample("trace_bridge_rate_limit_waits_total") == waits + 1


async def test_a_wait_past_the_deadline_fails_at_once() -> None:
    limiter = RateLimiter(1, 30.0, name="test")
    async with limiter.slot():
        pass
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as caught:
        async with limiter.slot(deadline=started + 1.0):
            pass
    assert time.monotonic() - started < 0.5
    assert caught.value.retry_after == pytest.approx(30.0, abs=0.5)
    assert caught.value.retryable


async def test_transport_limits_marked_requests_and_obeys_remaining_zero() -> None:
    sent: list[tuple[float, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append((time.monotonic(), request.url.path))
        return httpx.Response(200, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0.2"})

    limiter = RateLimiter(100, 60.0, name="test")
    wire = httpx.MockTransport(handler)
    transport = TraceTransport(wire, wire, limiter, ResetUnit.SECONDS_REMAINING)
    async with httpx.AsyncClient(transport=transport, base_url="https://trace.test") as http:
        await http.get("/limited", extensions={DEADLINE: time.monotonic() + 5})
        await http.get("/free")  # not marked: not limited, not paused
        await http.get("/limited", extensions={DEADLINE: time.monotonic() + 5})
    (first, _), (free, _), (second, _) = sent
    assert free - first < 0.1
    assert second - first >= 0.2
