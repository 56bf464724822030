"""The dead-letter queue, read and settled in place without losing or reordering what stays.

One channel takes messages with `basic.get` and no auto-ack, as many as the queue held
when the command started, so letters arriving meanwhile (or a replayed event that fails
again) are not read twice. A message is acked only once its fate is decided: purged, or
re-published and confirmed by the broker. Everything else goes back with `basic.nack`
(requeue) in the order it was read.

What this relies on, checked on RabbitMQ 3.10 (tests/ops/test_dlq.py): a quorum queue
puts a nacked message *behind* the messages still in it, so a command always reads the
whole queue (`limit` bounds what is acted on, not what is read) and the letters end in
their original order; letters that arrived during the command end up ahead of them.
Returns cannot be left to the channel close, which hands back more than 32 messages in
no particular order, nor sent in one burst, which the queue's client batches and
reverses; so they go out `RETURN_BATCH` at a time, each batch waiting until the queue
shows it. An interrupted command returns what it held, behind what it had not read yet;
if the process dies, the broker returns it: nothing is lost, but the order may change.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiormq
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage, AbstractQueue

from service.amqp.errors import PublishNackedError, UnroutableError
from service.amqp.publisher import Publisher
from service.logs import get_logger
from service.ops.dead_letters import EVERYTHING, DeadLetter, Selection, replay_copy

log = get_logger(__name__)

RETURN_BATCH = 16
"""Below the quorum-queue client's soft limit of 32 pending commands, which batches beyond it."""
RETURN_TIMEOUT = 10.0
CHANNEL_ERRORS = (aiormq.exceptions.AMQPError, ConnectionError, RuntimeError)

Progress = Callable[[int, int], None]
"""Called with (messages examined, messages in the queue at the start)."""


class QueueMissingError(Exception):
    """The dead-letter queue does not exist (the topology was never declared)."""

    def __init__(self, queue: str) -> None:
        super().__init__(f"queue {queue!r} does not exist; run `trace-bridge topology declare`")
        self.queue = queue


@dataclass
class ReplayReport:
    """What a replay did; `failed` letters stay in the DLQ with the reason why."""

    examined: int = 0
    replayed: list[DeadLetter] = field(default_factory=list)
    failed: list[tuple[DeadLetter, str]] = field(default_factory=list)


class _Reading:
    """Messages taken from the queue on one channel; the unsettled ones go back in order."""

    def __init__(self, channel: AbstractChannel, queue: AbstractQueue, size: int) -> None:
        self.channel = channel
        self.size = size
        self._queue = queue
        self._held: dict[int, AbstractIncomingMessage] = {}
        self._taken = 0

    async def each(self) -> AsyncIterator[tuple[DeadLetter, AbstractIncomingMessage]]:
        """Every message the queue held at the start, in queue order; iterate to the end."""
        while self._taken < self.size:
            message = await self._queue.get(no_ack=False, fail=False)
            if message is None:
                return
            self._taken += 1
            self._held[message.delivery_tag or 0] = message
            yield DeadLetter.read(message, self._taken), message

    async def remove(self, message: AbstractIncomingMessage) -> None:
        await message.ack()
        self._held.pop(message.delivery_tag or 0, None)

    async def give_back(self) -> None:
        held, self._held = list(self._held.values()), {}
        if not held:
            return
        ordered = True
        expected = await self._ready()
        for start in range(0, len(held), RETURN_BATCH):
            batch = held[start : start + RETURN_BATCH]
            for message in batch:
                await message.nack(requeue=True)
            expected += len(batch)
            ordered = ordered and await self._until_ready(expected)
        if not ordered:
            log.warning("dlq.return_unconfirmed", queue=self._queue.name, returned=len(held))

    async def _ready(self) -> int:
        """Ready messages, asked of the broker (a robust channel caches passive declares)."""
        underlay = await self.channel.get_underlay_channel()
        declared = await underlay.queue_declare(self._queue.name, passive=True)
        return declared.message_count or 0

    async def _until_ready(self, expected: int) -> bool:
        deadline = time.monotonic() + RETURN_TIMEOUT
        while await self._ready() < expected:
            if time.monotonic() > deadline:
                return False  # someone else is taking messages; stop waiting, keep returning
            await asyncio.sleep(0.002)
        return True


class DeadLetterQueue:
    """Browse, replay and purge one DLQ; every method leaves unselected messages untouched."""

    def __init__(self, connection: AbstractConnection, name: str) -> None:
        self._connection = connection
        self.name = name

    async def browse(
        self, selection: Selection = EVERYTHING, limit: int | None = None, now: datetime | None = None
    ) -> list[DeadLetter]:
        """The selected letters in queue order, at most `limit`; the queue is unchanged."""
        now = now or datetime.now(UTC)
        found: list[DeadLetter] = []
        async with self._reading() as reading:
            async for letter, _ in reading.each():
                if _wanted(selection, letter, now, len(found), limit):
                    found.append(letter)
        return found

    async def purge(
        self, selection: Selection = EVERYTHING, limit: int | None = None, now: datetime | None = None
    ) -> int:
        """Delete the selected letters (at most `limit`); returns how many were deleted."""
        now = now or datetime.now(UTC)
        deleted = 0
        async with self._reading() as reading:
            async for letter, message in reading.each():
                if _wanted(selection, letter, now, deleted, limit):
                    await reading.remove(message)
                    deleted += 1
        log.info("dlq.purged", queue=self.name, deleted=deleted)
        return deleted

    async def replay(
        self,
        selection: Selection = EVERYTHING,
        limit: int | None = None,
        *,
        rate: float | None = None,
        progress: Progress | None = None,
    ) -> ReplayReport:
        """Re-publish the selected letters to where they were first published, confirmed.

        A letter leaves the DLQ only after the broker confirmed its copy, so an interrupted
        replay loses nothing (at worst one event is published twice; the pipeline drops
        duplicates by event id). `rate` caps messages per second to spare TRACE.
        """
        now = datetime.now(UTC)
        report = ReplayReport()
        publisher = await Publisher.open(self._connection)
        exchanges = _ExchangeCheck(self._connection)
        try:
            async with self._reading() as reading:
                async for letter, message in reading.each():
                    report.examined += 1
                    if _wanted(selection, letter, now, len(report.replayed), limit):
                        problem = await self._replay_one(letter, message, publisher, exchanges)
                        if problem:
                            report.failed.append((letter, problem))
                        else:
                            await reading.remove(message)
                            report.replayed.append(letter)
                            if rate:
                                await asyncio.sleep(1 / rate)
                    if progress is not None:
                        progress(report.examined, reading.size)
        finally:
            await publisher.close()
        log.info("dlq.replayed", queue=self.name, replayed=len(report.replayed), failed=len(report.failed))
        return report

    async def _replay_one(
        self,
        letter: DeadLetter,
        message: AbstractIncomingMessage,
        publisher: Publisher,
        exchanges: _ExchangeCheck,
    ) -> str:
        """Empty on success, else why the letter stays in the DLQ."""
        if not await exchanges.exists(letter.original_exchange):
            return f"original exchange {letter.original_exchange!r} does not exist"
        copy = replay_copy(message, datetime.now(UTC))
        try:
            await publisher.publish(copy, letter.original_exchange, letter.original_routing_key)
        except (UnroutableError, PublishNackedError) as error:
            return str(error)
        log.debug("dlq.replayed_one", event_id=letter.event_id, exchange=letter.original_exchange)
        return ""

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[_Reading]:
        channel = await self._connection.channel()
        try:
            try:
                queue = await channel.declare_queue(self.name, passive=True)
            except aiormq.exceptions.ChannelNotFoundEntity:
                raise QueueMissingError(self.name) from None
            reading = _Reading(channel, queue, queue.declaration_result.message_count or 0)
            try:
                yield reading
            except BaseException:
                with contextlib.suppress(*CHANNEL_ERRORS):
                    await reading.give_back()
                raise
            await reading.give_back()
        finally:
            if not channel.is_closed:
                await channel.close()


def _wanted(selection: Selection, letter: DeadLetter, now: datetime, acted: int, limit: int | None) -> bool:
    return (limit is None or acted < limit) and selection.matches(letter, now)


class _ExchangeCheck:
    """Whether an exchange exists: publishing to a missing one would close the channel."""

    def __init__(self, connection: AbstractConnection) -> None:
        self._connection = connection
        self._known: dict[str, bool] = {"": True}

    async def exists(self, name: str) -> bool:
        if name not in self._known:
            channel = await self._connection.channel()
            try:
                await channel.declare_exchange(name, passive=True)
                self._known[name] = True
            except aiormq.exceptions.ChannelNotFoundEntity:
                self._known[name] = False
            finally:
                if not channel.is_closed:
                    await channel.close()
        return self._known[name]
