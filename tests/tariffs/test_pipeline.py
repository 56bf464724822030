"""The tariff pipeline end to end: real RabbitMQ, the sandbox over HTTP, a real store."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from aio_pika.abc import AbstractRobustConnection

from contracts import TariffRejected, TariffUploaded
from service.state.sqlite import SqliteStore
from service.tariffs.settings import TariffSettings
from tests.support.sandbox import SandboxServer
from tests.support.stores import hold_store_method
from tests.support.waiting import eventually
from tests.tariffs.expect import trace_offer
from tests.tariffs.factory import event
from tests.tariffs.harness import Pipeline, start_pipeline

pytestmark = pytest.mark.integration


async def test_a_thousand_events_are_uploaded_with_every_field_translated(
    pipeline: Pipeline, sandbox: SandboxServer
) -> None:
    events = [event(index) for index in range(1000)]
    await pipeline.publish(events)

    outcomes = [TariffUploaded.from_json(m.body) for m in await pipeline.outcomes(1000, timeout=120)]
    assert {o.data.source_event_id for o in outcomes} == {e.id for e in events}
    stored = sandbox.offers()
    by_id = {offer["offerId"]: offer for offer in stored}
    for changed, outcome in zip(
        events, sorted(outcomes, key=lambda o: int(o.data.tariff_id.split("-")[1])), strict=True
    ):
        assert outcome.data.tariff_id == changed.data.tariff_id
        tiers = changed.data.offer.configuration.capacity_tiers
        assert len(outcome.data.trace_offer_ids) == (len(tiers) if tiers else 1)
        for offer_id in outcome.data.trace_offer_ids:
            assert by_id[offer_id]["offer"] == trace_offer(changed)
    assert await pipeline.depth(pipeline.settings.dead_letter_queue) == 0
    assert sandbox.stats()["expired_token_requests"] == 0


async def test_a_redelivered_event_is_not_uploaded_twice(pipeline: Pipeline, sandbox: SandboxServer) -> None:
    changed = event(1)
    await pipeline.publish([changed])
    [first] = await pipeline.outcomes(1)
    await pipeline.publish([changed])
    [second] = await pipeline.outcomes(1)
    assert orjson.loads(first.body)["id"] == orjson.loads(second.body)["id"]
    assert len({offer["offerId"] for offer in sandbox.offers()}) == len(
        TariffUploaded.from_json(first.body).data.trace_offer_ids
    )


async def test_a_shutdown_while_recording_an_upload_lets_the_record_finish(
    pipeline_settings: TariffSettings,
    sandbox: SandboxServer,
    sqlite_url: str,
    amqp: AbstractRobustConnection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The handler is cancelled after TRACE took the upload: the redelivery must not upload again."""
    held = hold_store_method(monkeypatch, SqliteStore, "finish_upload")
    settings = pipeline_settings.model_copy(update={"shutdown_grace": 0.0})
    changed = event(1)
    first = start_pipeline(settings, sandbox, sqlite_url, amqp)
    running = await anext(first)
    await running.publish([changed])
    await asyncio.wait_for(held.entered.wait(), 10)
    [handling] = running.consumer._tasks
    stopping = asyncio.create_task(running.consumer.stop(settings.shutdown_grace))
    await eventually(lambda: handling.cancelling() > 0, message="the handler is cancelled")
    held.release.set()
    await asyncio.wait_for(stopping, 5)
    await first.aclose()
    assert sandbox.requests_to("POST upload") == 1

    async for again in start_pipeline(settings, sandbox, sqlite_url, amqp):
        [outcome] = await again.outcomes(1)
        assert orjson.loads(outcome.body)["data"]["source_event_id"] == changed.id
    assert sandbox.requests_to("POST upload") == 1, "the redelivered event was uploaded a second time"


async def test_an_older_revision_after_a_newer_one_is_stale(
    pipeline: Pipeline, sandbox: SandboxServer
) -> None:
    await pipeline.publish([event(5, tariff_id="t-order", revision=3)])
    await pipeline.outcomes(1)
    await pipeline.publish([event(6, tariff_id="t-order", revision=2)])
    [stale] = await pipeline.outcomes(1)
    rejected = TariffRejected.from_json(stale.body)
    assert rejected.data.reason == "stale"
    assert await eventually(lambda: len(sandbox.offers()) > 0)
    assert all(offer["name"] == "Offer 5 " + event(5).data.offer.product for offer in sandbox.offers())
