"""The tariff pipeline in-process against the real RabbitMQ, a real sandbox and a real store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection
from pydantic import SecretStr

from contracts import TariffChanged
from service.amqp.connection import Broker
from service.amqp.topology import declare_tariffs
from service.config import AmqpSettings
from service.state import open_store
from service.state.base import StateStore
from service.tariffs.breaker import CircuitBreaker
from service.tariffs.consumer import TariffConsumer
from service.tariffs.handler import TariffHandler
from service.tariffs.ordering import TariffGate
from service.tariffs.settings import TariffSettings
from service.tariffs.uploader import Uploader
from service.trace.client import TraceClient
from service.trace.profile import TraceProfile
from service.trace.settings import TraceSettings
from tests.support.amqp import AMQP_URL, cleanup_channel, collect
from tests.support.sandbox import SandboxServer
from tests.support.service import ServiceProcess, sandbox_env
from tests.tariffs.factory import message, routing_key


def trace_settings(sandbox_url: str, **overrides: Any) -> TraceSettings:
    values: dict[str, Any] = {
        "api_url": sandbox_url,
        "client_id": "sandbox-client",
        "client_secret": SecretStr("sandbox-secret"),
        "audience": "https://trace-sandbox.local",
        "retry_attempts": 3,
        "retry_deadline": 2.0,
        "retry_wait_initial": 0.01,
        "retry_wait_max": 0.05,
        "retry_wait_jitter": 0.01,
        "token_retry_initial": 0.05,
        "token_retry_max": 0.2,
        "token_wait_timeout": 2.0,
        **overrides,
    }
    return TraceSettings(_env_file=None, **values)


def tariff_env(sandbox: SandboxServer, names: TariffSettings, state_url: str, **extra: str) -> dict[str, str]:
    """The environment of a tariff-only service process on the test's unique names."""
    return {
        **sandbox_env(sandbox.url),
        "TRACE_BRIDGE_STATE_URL": state_url,
        "TRACE_BRIDGE_TARIFFS_EXCHANGE": names.exchange,
        "TRACE_BRIDGE_TARIFFS_QUEUE": names.queue,
        "TRACE_BRIDGE_TARIFFS_DEAD_LETTER_EXCHANGE": names.dead_letter_exchange,
        "TRACE_BRIDGE_TARIFFS_DEAD_LETTER_QUEUE": names.dead_letter_queue,
        "TRACE_BRIDGE_TARIFFS_RETRY_QUEUE_PREFIX": names.retry_queue_prefix,
        "TRACE_BRIDGE_TARIFFS_RETRY_DELAYS": ",".join(str(delay) for delay in names.retry_delays),
        "TRACE_BRIDGE_TARIFFS_LEASE_SECONDS": "3",
        "TRACE_BRIDGE_TARIFFS_ORDERING_WAIT": "5",
        "TRACE_BRIDGE_TARIFFS_SHUTDOWN_GRACE": "10",
        "TRACE_BRIDGE_TRACE_RETRY_DEADLINE": "2",
        "TRACE_BRIDGE_AMQP_RECONNECT_MAX": "1",
        **extra,
    }


async def start_service(processes: list[ServiceProcess], env: dict[str, str]) -> ServiceProcess:
    """`trace-bridge run --only tariffs` as a subprocess, ready."""
    process = ServiceProcess(env, args=("run", "--only", "tariffs")).start()
    processes.append(process)
    await asyncio.to_thread(process.wait_ready)
    return process


async def publish(amqp: AbstractRobustConnection, exchange: str, events: Sequence[TariffChanged]) -> None:
    """Publish valid tariff events the way another team would."""
    async with amqp.channel() as channel:
        target = await channel.get_exchange(exchange)
        for changed in events:
            await target.publish(message(changed), routing_key(changed))


async def declare_outcomes(channel: AbstractChannel, settings: TariffSettings) -> str:
    """Declare the tariff topology and a durable queue bound to every outcome event."""
    name = f"{settings.queue}.outcomes"
    await declare_tariffs(channel, settings)
    outcomes = await channel.declare_queue(name, durable=True)
    await outcomes.bind(settings.exchange, "tariff.uploaded.#")
    await outcomes.bind(settings.exchange, "tariff.rejected.#")
    return name


@dataclass
class Pipeline:
    """A running consumer plus the test's own channel to publish and inspect with."""

    settings: TariffSettings
    consumer: TariffConsumer
    broker: Broker
    store: StateStore
    client: TraceClient
    amqp: AbstractRobustConnection
    outcomes_queue: str

    async def publish(self, events: Sequence[TariffChanged]) -> None:
        await publish(self.amqp, self.settings.exchange, events)

    async def publish_raw(
        self, body: bytes, key: str = "tariff.changed.direct_marketing", **props: Any
    ) -> None:
        async with self.amqp.channel() as channel:
            exchange = await channel.get_exchange(self.settings.exchange)
            await exchange.publish(aio_pika.Message(body, **props), key)

    async def outcomes(self, count: int, timeout: float = 30.0) -> list[AbstractIncomingMessage]:
        async with self.amqp.channel() as channel:
            return await collect(channel, self.outcomes_queue, count, timeout=timeout)

    async def dead_letters(self, count: int, timeout: float = 30.0) -> list[AbstractIncomingMessage]:
        async with self.amqp.channel() as channel:
            return await collect(channel, self.settings.dead_letter_queue, count, timeout=timeout)

    async def depth(self, queue: str) -> int:
        async with self.amqp.channel() as channel:
            declared = await channel.declare_queue(queue, passive=True)
            return declared.declaration_result.message_count or 0


@pytest.fixture
def pipeline_settings(tariff_names: TariffSettings) -> TariffSettings:
    """Unique names and a fast ladder; tests override with `model_copy(update=...)`."""
    return tariff_names.model_copy(
        update={
            "batch_linger": 0.01,
            "lease_seconds": 5.0,
            "ordering_wait": 2.0,
            "breaker_open_initial": 0.2,
            "breaker_open_max": 0.5,
            "shutdown_grace": 5.0,
        }
    )


async def start_pipeline(
    settings: TariffSettings,
    sandbox: SandboxServer,
    state_url: str,
    amqp: AbstractRobustConnection,
    **trace_overrides: Any,
) -> AsyncIterator[Pipeline]:
    store = await open_store(state_url)
    client = TraceClient(trace_settings(sandbox.url, **trace_overrides), TraceProfile(_env_file=None))
    client.tokens.start()
    uploader = Uploader(client, TraceProfile(_env_file=None), settings)
    handler = TariffHandler(
        settings=settings,
        store=store,
        gate=TariffGate(
            store, "test-owner", lease_seconds=settings.lease_seconds, ordering_wait=settings.ordering_wait
        ),
        uploader=uploader,
        breaker=CircuitBreaker(
            settings.breaker_threshold, settings.breaker_open_initial, settings.breaker_open_max
        ),
    )
    consumer = TariffConsumer(settings, handler)
    broker = Broker(AmqpSettings(url=SecretStr(AMQP_URL), reconnect_initial=0.05, reconnect_max=0.5))
    broker.on_connect(consumer.on_connect)
    async with amqp.channel() as channel:
        outcomes_queue = await declare_outcomes(channel, settings)
    supervisor = asyncio.create_task(broker.run())
    await broker.wait_ready(10)
    try:
        yield Pipeline(settings, consumer, broker, store, client, amqp, outcomes_queue)
    finally:
        await consumer.stop(settings.shutdown_grace)
        await uploader.aclose()
        await broker.stop()
        await asyncio.wait_for(supervisor, 10)
        await client.aclose()
        await store.close()
        async with cleanup_channel() as channel:
            await channel.queue_delete(outcomes_queue)


@pytest.fixture
async def pipeline(
    pipeline_settings: TariffSettings, sandbox: SandboxServer, sqlite_url: str, amqp: AbstractRobustConnection
) -> AsyncIterator[Pipeline]:
    async for running in start_pipeline(pipeline_settings, sandbox, sqlite_url, amqp):
        yield running


__all__ = ["Pipeline", "pipeline", "pipeline_settings", "start_pipeline", "trace_settings"]
