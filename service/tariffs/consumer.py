"""The tariff consumer's life: register after every (re)connect, drain on shutdown.

Handlers run in tasks this class owns (not the channel's), so a shutdown can first stop
deliveries, then give in-flight events their grace period, and only then cancel the rest:
a cancelled handler leaves its message unacked, and the broker hands it out again.
"""

from __future__ import annotations

import asyncio
import contextlib

import aiormq
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage, AbstractQueue

from service.amqp.publisher import Publisher
from service.amqp.topology import declare_tariffs
from service.logs import get_logger
from service.tariffs.handler import TariffHandler
from service.tariffs.settings import TariffSettings

log = get_logger(__name__)
CHANNEL_GONE = (aiormq.exceptions.AMQPError, ConnectionError, RuntimeError)


class ConsumerNotRegisteredError(Exception):
    """The broker does not list our consumer right after we registered it."""


class TariffConsumer:
    """Connects the work queue to the handler; knows whether it is consuming right now."""

    def __init__(self, settings: TariffSettings, handler: TariffHandler) -> None:
        self._settings = settings
        self._handler = handler
        self._tasks: set[asyncio.Task[None]] = set()
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._tag: str | None = None
        self._publisher: Publisher | None = None
        self._stopping = False

    @property
    def is_consuming(self) -> bool:
        return self._tag is not None and self._channel is not None and not self._channel.is_closed

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def on_connect(self, connection: AbstractConnection) -> None:
        """Broker hook: declare topology, open channels, consume, verify the registration."""
        if self._stopping:
            return
        channel = await connection.channel(publisher_confirms=False)
        await channel.set_qos(prefetch_count=self._settings.prefetch)
        await declare_tariffs(channel, self._settings)
        self._publisher = await Publisher.open(connection)
        queue = await channel.get_queue(self._settings.queue, ensure=False)
        self._channel, self._queue = channel, queue
        self._tag = await queue.consume(self._deliver)
        check = await channel.declare_queue(self._settings.queue, passive=True)
        if (check.declaration_result.consumer_count or 0) < 1:
            raise ConsumerNotRegisteredError(f"no consumer listed on {self._settings.queue!r}")
        log.info("tariffs.consuming", queue=self._settings.queue, prefetch=self._settings.prefetch)

    async def _deliver(self, message: AbstractIncomingMessage) -> None:
        publisher = self._publisher
        if publisher is None or self._stopping:
            return  # unacked: returned to the queue when the channel closes
        task = asyncio.create_task(self._run(message, publisher))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, message: AbstractIncomingMessage, publisher: Publisher) -> None:
        try:
            await self._handler.handle(message, publisher)
        except asyncio.CancelledError:
            log.info("tariffs.handler_cancelled", event_id=message.message_id)
            raise
        except CHANNEL_GONE as error:
            log.warning("tariffs.unsettled", event_id=message.message_id, error=repr(error))
        except Exception:
            log.exception("tariffs.handler_failed", event_id=message.message_id)
            with contextlib.suppress(*CHANNEL_GONE):
                await message.nack(requeue=True)  # the delivery limit dead-letters a poison message

    async def stop(self, grace: float) -> None:
        """Stop deliveries, let in-flight events finish for `grace` seconds, cancel the rest."""
        self._stopping = True
        if self._queue is not None and self._tag is not None:
            with contextlib.suppress(*CHANNEL_GONE):
                await self._queue.cancel(self._tag)
        self._tag = None
        if self._tasks:
            log.info("tariffs.draining", in_flight=len(self._tasks), grace_s=grace)
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
                log.warning("tariffs.cancelled_in_flight", count=len(pending))
        for closable in (self._publisher, self._channel):
            if closable is not None:
                with contextlib.suppress(*CHANNEL_GONE):
                    await closable.close()
