"""One short-lived AMQP connection for a CLI command, or a clear reason why not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aio_pika.abc import AbstractConnection

from service.amqp.connection import CONNECT_ERRORS, connect
from service.amqp.errors import BrokerUnavailableError
from service.config import AmqpSettings
from service.logs import secrets


@asynccontextmanager
async def broker_connection(settings: AmqpSettings, name: str) -> AsyncIterator[AbstractConnection]:
    """Open, yield, close; an unreachable broker raises `BrokerUnavailableError` (exit 3).

    Unlike the service's supervised `Broker`, a command does not wait for RabbitMQ to
    come back: the operator should hear at once that it is down.
    """
    url = secrets.scrub(settings.url.get_secret_value())
    try:
        connection = await connect(settings, name)
    except CONNECT_ERRORS as error:
        reason = secrets.scrub(str(error) or type(error).__name__)
        raise BrokerUnavailableError(f"RabbitMQ unreachable at {url}: {reason}") from None
    try:
        yield connection
    finally:
        await connection.close()
