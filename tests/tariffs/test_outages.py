"""TRACE outages: the breaker holds events through a short one; a long one exhausts the ladder."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aio_pika.abc import AbstractRobustConnection

from contracts import TariffRejected, TariffUploaded
from service import metrics
from service.tariffs import letters
from service.tariffs.settings import TariffSettings
from tests.support.sandbox import SandboxServer
from tests.support.waiting import eventually
from tests.tariffs.factory import event
from tests.tariffs.harness import Pipeline, start_pipeline

pytestmark = pytest.mark.integration


@pytest.fixture
async def impatient(
    pipeline_settings: TariffSettings, sandbox: SandboxServer, sqlite_url: str, amqp: AbstractRobustConnection
) -> AsyncIterator[Pipeline]:
    """A pipeline whose breaker gives up holding after 0.3 s, so the ladder runs out fast."""
    settings = pipeline_settings.model_copy(update={"breaker_max_hold": 0.3})
    async for running in start_pipeline(settings, sandbox, sqlite_url, amqp, retry_deadline=0.5):
        yield running


async def test_an_outage_longer_than_the_ladder_dead_letters_with_retries_exhausted(
    impatient: Pipeline, sandbox: SandboxServer
) -> None:
    sandbox.outage(600, "upload")
    events = [event(index) for index in range(6)]
    await impatient.publish(events)
    dead = await impatient.dead_letters(6, timeout=60)
    assert {m.message_id for m in dead} == {e.id for e in events}
    for letter in dead:
        assert letter.headers[letters.ERROR_KIND] == "retries_exhausted"
        assert letter.headers[letters.ATTEMPTS] == 3  # first try + two retry tiers
        reason = str(letter.headers[letters.REASON])
        assert "503" in reason or "circuit breaker open" in reason
    rejected = [TariffRejected.from_json(m.body) for m in await impatient.outcomes(6)]
    assert {r.data.reason for r in rejected} == {"retries_exhausted"}


async def test_a_short_outage_is_held_by_the_breaker_and_nothing_is_dead_lettered(
    pipeline: Pipeline, sandbox: SandboxServer
) -> None:
    sandbox.outage(4, "upload")  # the ladder alone (0.2 s, 0.4 s) would not survive this
    events = [event(index) for index in range(30)]
    await pipeline.publish(events)
    await eventually(lambda: metrics.breaker_open._value.get() == 1, timeout=20, message="breaker opened")
    uploaded = [TariffUploaded.from_json(m.body) for m in await pipeline.outcomes(30, timeout=60)]
    assert {u.data.source_event_id for u in uploaded} == {e.id for e in events}
    assert await pipeline.depth(pipeline.settings.dead_letter_queue) == 0
    assert metrics.breaker_open._value.get() == 0
