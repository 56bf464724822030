"""Isolated AMQP names per test on the real RabbitMQ, deleted afterwards."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection

from service.amqp.topology import tariff_queues
from service.leads.settings import LeadSettings
from service.tariffs.settings import TariffSettings
from tests.support.waiting import eventually

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def amqp() -> AsyncIterator[AbstractRobustConnection]:
    """A connection for the test's own publishing and inspection."""
    connection = await aio_pika.connect_robust(AMQP_URL)
    try:
        yield connection
    finally:
        with contextlib.suppress(RuntimeError, ConnectionError):
            await connection.close()


@pytest.fixture
async def channel(amqp: AbstractRobustConnection) -> AsyncIterator[AbstractChannel]:
    async with amqp.channel() as opened:
        yield opened


def tariff_settings_for(name: str, **overrides: object) -> TariffSettings:
    values: dict[str, object] = {
        "exchange": f"{name}.tariffs",
        "queue": f"{name}.work",
        "dead_letter_exchange": f"{name}.dlx",
        "dead_letter_queue": f"{name}.dlq",
        "retry_queue_prefix": f"{name}.retry",
        "retry_delays": [0.2, 0.5],
        **overrides,
    }
    return TariffSettings(**values)  # type: ignore[arg-type]


async def delete_tariff_topology(channel: AbstractChannel, settings: TariffSettings) -> None:
    for queue in tariff_queues(settings):
        await channel.queue_delete(queue)
    await channel.exchange_delete(settings.exchange)
    await channel.exchange_delete(settings.dead_letter_exchange)


@asynccontextmanager
async def cleanup_channel() -> AsyncIterator[AbstractChannel]:
    """A fresh connection for teardown: the test may have restarted the broker under `amqp`."""
    connection = await aio_pika.connect(AMQP_URL)
    try:
        async with connection.channel() as channel:
            yield channel
    finally:
        await connection.close()


@pytest.fixture
async def tariff_names() -> AsyncIterator[TariffSettings]:
    """Tariff settings with names unique to this test; the topology is deleted afterwards."""
    settings = tariff_settings_for(unique("tb"))
    yield settings
    async with cleanup_channel() as cleanup:
        await delete_tariff_topology(cleanup, settings)


@pytest.fixture
async def lead_names() -> AsyncIterator[LeadSettings]:
    """Lead settings with names unique to this test; exchange and queue deleted afterwards."""
    name = unique("tb")
    settings = LeadSettings(exchange=f"{name}.leads", invalid_queue=f"{name}.leads.invalid")
    yield settings
    async with cleanup_channel() as cleanup:
        await cleanup.queue_delete(settings.invalid_queue)
        await cleanup.exchange_delete(settings.exchange)


async def collect(
    channel: AbstractChannel, queue: str, count: int, *, timeout: float = 10.0
) -> list[AbstractIncomingMessage]:
    """Take exactly `count` messages off `queue` (acking them), waiting up to `timeout`."""
    received: list[AbstractIncomingMessage] = []
    declared = await channel.get_queue(queue, ensure=False)

    async def poll() -> bool:
        while len(received) < count:
            message = await declared.get(no_ack=True, fail=False)
            if message is None:
                return False
            received.append(message)
        return True

    await eventually(poll, timeout=timeout, message=f"{count} messages on {queue}")
    return received
