"""Queue depths and consumer counts as metrics, read by passive declares.

A passive declare never creates or changes a queue; a missing queue closes the channel,
so each sample uses a fresh channel and a failure costs one sample, not the sampler.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import aiormq

from service import metrics
from service.amqp.connection import Broker
from service.amqp.errors import BrokerUnavailableError
from service.logs import get_logger

log = get_logger(__name__)


async def sample_once(broker: Broker, queues: Sequence[str]) -> None:
    async with broker.connection.channel() as channel:
        for name in queues:
            queue = await channel.declare_queue(name, passive=True)
            metrics.queue_messages.labels(queue=name).set(queue.declaration_result.message_count or 0)
            metrics.queue_consumers.labels(queue=name).set(queue.declaration_result.consumer_count or 0)


async def sample_forever(broker: Broker, queues: Sequence[str], interval: float) -> None:
    """Refresh the depth gauges every `interval` seconds until cancelled."""
    while True:
        with contextlib.suppress(BrokerUnavailableError):
            try:
                await sample_once(broker, queues)
            except (aiormq.exceptions.AMQPError, ConnectionError) as error:
                log.debug("depths.sample_failed", error=repr(error))
        await asyncio.sleep(interval)
