"""Unit tests of the pipeline's small parts: breaker, batcher, letters, translation."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from aio_pika.abc import AbstractIncomingMessage

from service.logs import secrets
from service.tariffs import letters
from service.tariffs.batcher import Batcher
from service.tariffs.breaker import BreakerState, CircuitBreaker, HoldExpiredError
from service.tariffs.failures import ErrorKind
from service.tariffs.translate import to_trace
from service.trace.profile import TraceProfile
from tests.tariffs.expect import trace_offer
from tests.tariffs.factory import event


async def test_breaker_opens_after_threshold_and_lets_one_probe_through() -> None:
    breaker = CircuitBreaker(threshold=2, open_initial=0.05, open_max=0.2)
    for _ in range(2):
        await breaker.failure(await breaker.acquire(1))
    assert breaker.state is BreakerState.OPEN
    probe = await breaker.acquire(1)  # waits out the pause, then becomes the probe
    assert probe.probe
    with pytest.raises(HoldExpiredError):
        await breaker.acquire(0.01)  # a second caller may not pass while the probe runs
    await breaker.success(probe)
    assert breaker.state.value == "closed"
    assert not (await breaker.acquire(0.01)).probe


async def test_a_failed_probe_reopens_with_a_longer_pause() -> None:
    breaker = CircuitBreaker(threshold=1, open_initial=0.02, open_max=1.0)
    await breaker.failure(await breaker.acquire(1))
    probe = await breaker.acquire(1)
    await breaker.failure(probe)
    assert breaker.state is BreakerState.OPEN
    with pytest.raises(HoldExpiredError):
        await breaker.acquire(0.02)  # the pause doubled to 0.04 s


async def test_stragglers_failing_while_open_do_not_extend_the_pause() -> None:
    breaker = CircuitBreaker(threshold=1, open_initial=0.05, open_max=1.0)
    early = [await breaker.acquire(1) for _ in range(3)]
    for permit in early:
        await breaker.failure(permit)
    probe = await asyncio.wait_for(breaker.acquire(1), 0.5)
    assert probe.probe


async def test_a_cancelled_probe_lets_the_next_caller_probe() -> None:
    breaker = CircuitBreaker(threshold=1, open_initial=0.01, open_max=0.1)
    await breaker.failure(await breaker.acquire(1))
    probe = await breaker.acquire(1)
    await breaker.release(probe)
    assert (await breaker.acquire(1)).probe


@dataclass
class Recorder:
    batches: list[list[int]] = field(default_factory=list)
    fail: bool = False

    async def send(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        await asyncio.sleep(0)
        if self.fail:
            raise RuntimeError("batch failed")
        return [item * 10 for item in items]


async def test_batcher_groups_concurrent_submissions_up_to_the_size() -> None:
    recorder = Recorder()
    batcher: Batcher[int, int] = Batcher(recorder.send, max_size=4, linger=0.05, concurrency=2)
    results = await asyncio.gather(*(batcher.submit(n) for n in range(10)))
    assert results == [n * 10 for n in range(10)]
    assert [len(batch) for batch in recorder.batches] == [4, 4, 2]


async def test_batcher_without_linger_sends_each_item_alone() -> None:
    recorder = Recorder()
    batcher: Batcher[int, int] = Batcher(recorder.send, max_size=1, linger=0, concurrency=4)
    await asyncio.gather(*(batcher.submit(n) for n in range(3)))
    assert sorted(recorder.batches) == [[0], [1], [2]]


async def test_batcher_raises_a_batch_failure_to_each_submitter() -> None:
    batcher: Batcher[int, int] = Batcher(Recorder(fail=True).send, max_size=3, linger=0.01, concurrency=1)
    outcomes = await asyncio.gather(*(batcher.submit(n) for n in range(3)), return_exceptions=True)
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)


async def test_batcher_fails_submitters_when_the_result_count_is_wrong() -> None:
    async def short(items: Sequence[int]) -> list[int]:
        return list(items)[:-1]

    batcher: Batcher[int, int] = Batcher(short, max_size=2, linger=0.01, concurrency=1)
    outcomes = await asyncio.gather(batcher.submit(1), batcher.submit(2), return_exceptions=True)
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)


@dataclass
class FakeIncoming:
    body: bytes = b"{}"
    headers: dict[str, Any] = field(default_factory=dict)
    exchange: str = "trace.tariffs"
    routing_key: str = "tariff.changed.ppa_upstream"
    content_type: str | None = "application/cloudevents+json"
    content_encoding: str | None = None
    priority: int | None = None
    correlation_id: str | None = "corr"
    reply_to: str | None = None
    message_id: str | None = "evt-1"
    timestamp: datetime | None = None
    type: str | None = "trace.tariff.changed.v1"
    app_id: str | None = "pricing"


def incoming(**overrides: Any) -> AbstractIncomingMessage:
    return cast(AbstractIncomingMessage, FakeIncoming(**overrides))


def test_first_failure_starts_the_history_and_keeps_the_original_route() -> None:
    message = incoming(headers={"custom": "kept"})
    history = letters.History.of(message)
    assert (history.attempts, history.first_failure) == (0, None)
    letter = letters.dead_letter(message, history, ErrorKind.INVALID_DATA, "bad\nfield", '[{"field": "x"}]')
    headers = letter.headers
    assert headers["custom"] == "kept"
    assert headers[letters.ATTEMPTS] == 1
    assert headers[letters.ERROR_KIND] == "invalid_data"
    assert headers[letters.REASON] == "bad field"
    assert headers[letters.ORIGINAL_EXCHANGE] == "trace.tariffs"
    assert headers[letters.ORIGINAL_ROUTING_KEY] == "tariff.changed.ppa_upstream"
    assert letter.body == b"{}"
    assert letter.message_id == "evt-1"
    assert letter.correlation_id == "corr"


def test_retried_copies_carry_the_count_and_the_first_failure_time() -> None:
    first = datetime.now(UTC) - timedelta(minutes=5)
    message = incoming(
        exchange="",
        routing_key="tb.work",
        headers={
            letters.ATTEMPTS: 2,
            letters.FIRST_FAILURE: first.isoformat(),
            letters.ORIGINAL_EXCHANGE: "trace.tariffs",
            letters.ORIGINAL_ROUTING_KEY: "tariff.changed.x",
        },
    )
    history = letters.History.of(message)
    assert history.attempts == 2
    assert 299 < history.age(datetime.now(UTC)) < 301
    headers = letters.retry_letter(message, history, "503").headers
    assert headers[letters.ATTEMPTS] == 3
    assert headers[letters.FIRST_FAILURE] == first.isoformat()
    assert headers[letters.ORIGINAL_EXCHANGE] == "trace.tariffs"


def test_dead_letter_headers_never_carry_secrets() -> None:
    secrets.add("hunter2-secret-value")
    letter = letters.dead_letter(
        incoming(),
        letters.History.of(incoming()),
        ErrorKind.RETRIES_EXHAUSTED,
        "login failed for hunter2-secret-value",
        "Authorization: Bearer eyJabc.eyJdef.sig",
    )
    text = str(letter.headers)
    assert "hunter2-secret-value" not in text
    assert "eyJabc" not in text


@pytest.mark.parametrize("index", range(30))
def test_translation_matches_the_trace_upload_format(index: int) -> None:
    changed = event(index)
    assert to_trace(changed.data.offer, TraceProfile(_env_file=None)) == trace_offer(changed)


def test_the_market_value_literal_comes_from_the_profile() -> None:
    changed = next(
        e
        for e in (event(i, "direct_marketing") for i in range(50))
        if getattr(e.data.offer.configuration, "enumeration_type", None) == "MarketValue"
    )
    translated = to_trace(changed.data.offer, TraceProfile(_env_file=None, market_value_literal="Marktwert"))
    assert translated["configuration"]["enumerationType"] == "Marktwert"
