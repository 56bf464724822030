"""Dead letters made the way the pipeline and the broker make them, plus CLI plumbing.

`Crafter.ours` takes a real delivery off the work queue and dead-letters it with
`service.tariffs.letters.dead_letter` through the DLX, exactly like the handler does;
`Crafter.by_broker` nacks a delivery until RabbitMQ's `x-delivery-limit` dead-letters it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage, AbstractQueue
from typer.testing import CliRunner, Result

from contracts import CONTENT_TYPE
from service.amqp.publisher import Publisher
from service.amqp.topology import declare_tariffs
from service.cli import dlq_cmd
from service.tariffs import letters
from service.tariffs.failures import ErrorKind
from service.tariffs.settings import TariffSettings
from tests.support.amqp import AMQP_URL
from tests.support.waiting import eventually
from tests.tariffs.factory import event, message, routing_key

NAME_FIELDS = (
    "exchange",
    "queue",
    "dead_letter_exchange",
    "dead_letter_queue",
    "retry_queue_prefix",
    "delivery_limit",
)


def cli_env(settings: TariffSettings, amqp_url: str = AMQP_URL) -> dict[str, str]:
    """The variables that point the CLI at this test's topology."""
    env = {TariffSettings.env_name(name): str(getattr(settings, name)) for name in NAME_FIELDS}
    env[TariffSettings.env_name("retry_delays")] = ",".join(f"{delay:g}" for delay in settings.retry_delays)
    return {**env, "AMQP_URL": amqp_url}


async def invoke(app: Any, *args: str, env: dict[str, str], input: str | None = None) -> Result:
    """Run a Typer app in-process; in a thread, because the command runs its own event loop."""

    def run() -> Result:
        return CliRunner().invoke(app, list(args), env=env, input=input)

    return await asyncio.to_thread(run)


async def dlq(*args: str, env: dict[str, str], input: str | None = None) -> Result:
    return await invoke(dlq_cmd.app, *args, env=env, input=input)


def dlq_process(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`dlq …` in its own process, for tests that kill it."""
    code = "from service.cli.dlq_cmd import app; app()"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


async def queue_depth(channel: AbstractChannel, name: str) -> int:
    """Ready messages; asked of the broker because robust channels cache passive declares."""
    underlay = await channel.get_underlay_channel()
    declared = await underlay.queue_declare(name, passive=True)
    return declared.message_count or 0


async def drain(channel: AbstractChannel, name: str) -> list[AbstractIncomingMessage]:
    """Every message of the queue, in order, removed (the independent check of the tools)."""
    queue = await channel.get_queue(name, ensure=False)
    taken: list[AbstractIncomingMessage] = []
    while (got := await queue.get(no_ack=True, fail=False)) is not None:
        taken.append(got)
    return taken


class Crafter:
    """Makes dead letters in this test's DLQ and remembers their event ids in queue order."""

    def __init__(self, channel: AbstractChannel, settings: TariffSettings, publisher: Publisher) -> None:
        self.channel = channel
        self.settings = settings
        self.publisher = publisher
        self.ids: list[str] = []
        self.bodies: list[bytes] = []

    @classmethod
    async def open(
        cls, connection: AbstractConnection, channel: AbstractChannel, settings: TariffSettings
    ) -> Crafter:
        await declare_tariffs(channel, settings)
        return cls(channel, settings, await Publisher.open(connection))

    async def _deliver(self, index: int, body: bytes | None, **properties: Any) -> AbstractIncomingMessage:
        changed = event(index, tariff_id=f"tariff-{index}")
        outgoing = message(changed)
        if body is not None:
            outgoing.body = body
        for name, value in properties.items():
            setattr(outgoing, name, value)
        await self.publisher.publish(outgoing, self.settings.exchange, routing_key(changed))
        work: AbstractQueue = await self.channel.get_queue(self.settings.queue, ensure=False)

        async def take() -> AbstractIncomingMessage | None:
            return await work.get(no_ack=False, fail=False)

        delivery = await eventually(take, message="delivery from the work queue")
        assert delivery is not None
        return delivery

    async def ours(
        self,
        index: int,
        kind: ErrorKind,
        *,
        body: bytes | None = None,
        failed_at: datetime | None = None,
        **properties: Any,
    ) -> str:
        """Dead-letter event `index` as the handler would, with `kind`."""
        delivery = await self._deliver(index, body, **properties)
        letter = letters.dead_letter(
            delivery, letters.History.of(delivery), kind, f"{kind.value} happened", '[{"field": "data.x"}]'
        )
        if failed_at is not None:
            letter.headers[letters.LAST_FAILURE] = failed_at.isoformat()
        await self.publisher.publish(letter, self.settings.dead_letter_exchange, delivery.routing_key or "")
        await delivery.ack()
        return self._remember(letter.message_id or "", letter.body)

    async def by_broker(self, index: int) -> str:
        """Nack event `index` until the work queue's delivery limit dead-letters it."""
        delivery = await self._deliver(index, None)
        before = await queue_depth(self.channel, self.settings.dead_letter_queue)
        await delivery.nack(requeue=True)
        work = await self.channel.get_queue(self.settings.queue, ensure=False)

        async def dead() -> bool:
            again = await work.get(no_ack=False, fail=False)
            if again is not None:
                await again.nack(requeue=True)
            return await queue_depth(self.channel, self.settings.dead_letter_queue) > before

        await eventually(dead, message="the broker dead-lettering the message")
        return self._remember(delivery.message_id or "", delivery.body)

    async def raw(self, headers: dict[str, Any], message_id: str, body: bytes = b"{}") -> str:
        """A message published straight to the DLQ, for bulk tests."""
        outgoing = aio_pika.Message(body, headers=headers, message_id=message_id, content_type=CONTENT_TYPE)
        await self.publisher.publish(outgoing, "", self.settings.dead_letter_queue)
        return self._remember(message_id, body)

    def _remember(self, event_id: str, body: bytes) -> str:
        self.ids.append(event_id)
        self.bodies.append(body)
        return event_id

    async def assert_unchanged(self, except_ids: Sequence[str] = ()) -> None:
        """The DLQ holds exactly the crafted letters (minus `except_ids`), in order, same bodies."""
        expected = [(i, b) for i, b in zip(self.ids, self.bodies, strict=True) if i not in except_ids]
        remaining = await drain(self.channel, self.settings.dead_letter_queue)
        got = [(m.message_id, m.body) for m in remaining]
        assert got == expected, f"DLQ changed: {[i for i, _ in got]} != {[i for i, _ in expected]}"
