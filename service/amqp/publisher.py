"""Publishing that only returns once RabbitMQ has taken responsibility for the message.

Every publish of the service is confirmed and mandatory: a message the broker cannot
route, or refuses, raises instead of vanishing. Callers write state ("this lead was
published", "this event is settled") only after `publish` returned.
"""

from __future__ import annotations

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange

from service.amqp.errors import BrokerUnavailableError, PublishNackedError, UnroutableError


class Publisher:
    """A confirm-mode channel of its own, so publishing never blocks on consumer traffic."""

    def __init__(self, channel: AbstractChannel, timeout: float = 30.0) -> None:
        self._channel = channel
        self._timeout = timeout
        self._exchanges: dict[str, AbstractExchange] = {}

    @classmethod
    async def open(cls, connection: AbstractConnection, timeout: float = 30.0) -> Publisher:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        return cls(channel, timeout)

    @property
    def is_open(self) -> bool:
        return not self._channel.is_closed

    async def close(self) -> None:
        if not self._channel.is_closed:
            await self._channel.close()

    async def publish(self, message: aio_pika.Message, exchange: str, routing_key: str) -> None:
        """Publish and wait for the broker's confirm; raise if it was unroutable or refused."""
        target = await self._exchange(exchange)
        try:
            await target.publish(message, routing_key, mandatory=True, timeout=self._timeout)
        except aiormq.exceptions.PublishError:
            raise UnroutableError(exchange, routing_key) from None
        except aiormq.exceptions.DeliveryError:
            raise PublishNackedError(f"broker refused message for {exchange!r}/{routing_key!r}") from None
        except (
            TimeoutError,
            aiormq.exceptions.AMQPConnectionError,
            aiormq.exceptions.ChannelInvalidStateError,
            ConnectionError,
        ) as error:
            raise BrokerUnavailableError(f"publish to {exchange!r} failed: {error!r}") from error

    async def _exchange(self, name: str) -> AbstractExchange:
        if name not in self._exchanges:
            if not name:
                self._exchanges[name] = self._channel.default_exchange
            else:
                self._exchanges[name] = await self._channel.get_exchange(name, ensure=False)
        return self._exchanges[name]
