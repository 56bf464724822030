"""Where events go when nobody listens, and where leads go that fit no model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aio_pika
import orjson
import pytest
from aio_pika.abc import AbstractChannel

from service.leads.cursor import WATERMARK
from service.leads.decide import INVALID_PREFIX
from service.leads.settings import LeadSettings
from tests.leads.conftest import StartPoller
from tests.leads.helpers import Inbox, counter, polls_pass
from tests.support.amqp import collect, unique
from tests.support.sandbox import SandboxServer, StartSandbox

pytestmark = pytest.mark.integration


async def test_unroutable_events_are_not_marked_and_arrive_once_a_queue_is_bound(
    start_sandbox: StartSandbox,
    start_poller: StartPoller,
    sqlite_url: str,
    channel: AbstractChannel,
    lead_names: LeadSettings,
) -> None:
    sandbox = start_sandbox(lead_count=150)
    unroutable = counter("leads_unroutable")
    running = await start_poller(sandbox, sqlite_url, backfill="all")
    await polls_pass(2, outcome="incomplete")

    assert counter("leads_unroutable") - unroutable >= 300
    assert await running.store.lead_count() == 0
    assert await running.store.get_cursor(WATERMARK) is None
    readiness = await running.poller.readiness()
    assert readiness.ok
    assert "150 unroutable" in readiness.detail

    inbox = await Inbox.bind(channel, lead_names)
    events = await inbox.wait_for(150)
    await polls_pass(1)
    assert len({e["data"]["id"] for e in events}) == 150
    assert await running.store.lead_count() == 150
    assert await running.store.get_cursor(WATERMARK) is not None


@pytest.fixture
async def alternate(amqp: aio_pika.abc.AbstractRobustConnection) -> AsyncIterator[str]:
    """A fanout alternate exchange; deleted after the test."""
    name = unique("tb-ae")
    yield name
    async with amqp.channel() as cleanup:
        await cleanup.exchange_delete(name)


async def test_an_alternate_exchange_makes_events_routable(
    start_sandbox: StartSandbox,
    start_poller: StartPoller,
    sqlite_url: str,
    channel: AbstractChannel,
    alternate: str,
) -> None:
    sandbox = start_sandbox(lead_count=30)
    exchange = await channel.declare_exchange(alternate, aio_pika.ExchangeType.FANOUT, durable=True)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange)

    running = await start_poller(sandbox, sqlite_url, backfill="all", alternate_exchange=alternate)
    await polls_pass(1)

    messages = await collect(channel, queue.name, 30)
    assert {m.routing_key for m in messages} == {"lead.created"}
    assert await running.store.lead_count() == 30


async def test_an_invalid_lead_goes_once_to_the_invalid_queue_and_blocks_nothing(
    sandbox: SandboxServer,
    start_poller: StartPoller,
    sqlite_url: str,
    channel: AbstractChannel,
    lead_names: LeadSettings,
) -> None:
    now = datetime.now(UTC).isoformat()
    raw = {"createdAt": now, "updatedAt": now, "status": "New", "company": {"name": "No Id GmbH"}}
    sandbox.insert_raw_lead(raw)
    inbox = await Inbox.bind(channel, lead_names)
    invalid = counter("leads_invalid")

    await start_poller(sandbox, sqlite_url, backfill="all", lookback=3600)
    await inbox.wait_for(250)
    await polls_pass(2)  # later polls re-read the record (lookback) but must not re-send it

    [message] = await collect(channel, lead_names.invalid_queue, 1)
    assert orjson.loads(message.body) == raw
    assert message.headers["trace-bridge-reason"] == "id: Field required"
    detail = orjson.loads(str(message.headers["trace-bridge-detail"]))
    assert detail[0]["loc"] == ["id"]
    assert str(message.message_id).startswith(INVALID_PREFIX)
    assert counter("leads_invalid") - invalid == 1
    assert len(inbox.messages) == 250
    queue = await channel.declare_queue(lead_names.invalid_queue, passive=True)
    assert queue.declaration_result.message_count == 0, "re-sent on a later poll"
