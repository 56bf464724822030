"""The process's one AMQP connection, supervised: reconnect with backoff and jitter.

aio-pika's robust connection reconnects at a fixed interval and restores consumers behind
the application's back. We want exponential backoff with jitter, a fresh topology
declaration and an explicit re-registration of every consumer after each reconnect, and
a readiness signal that tells the truth while that happens. So the supervisor uses plain
connections and runs the features' `on_connect` hooks each time one opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractConnection
from yarl import URL

from service import metrics
from service.amqp.errors import BrokerUnavailableError
from service.config import AmqpSettings
from service.logs import get_logger

log = get_logger(__name__)

ConnectHook = Callable[[AbstractConnection], Awaitable[None]]
CONNECT_ERRORS: tuple[type[BaseException], ...] = (
    aiormq.exceptions.AMQPError,
    ConnectionError,
    OSError,
    asyncio.TimeoutError,
)


def connection_url(settings: AmqpSettings) -> str:
    """The broker URL with our heartbeat, unless the operator set one in the URL."""
    url = URL(settings.url.get_secret_value())
    if "heartbeat" not in url.query:
        url = url.update_query(heartbeat=str(settings.heartbeat))
    return str(url)


async def connect(settings: AmqpSettings, name: str) -> AbstractConnection:
    """One plain connection, named so operators can find it in the management UI."""
    return await aio_pika.connect(
        connection_url(settings),
        timeout=settings.connect_timeout,
        client_properties={"connection_name": name},
    )


class Broker:
    """Keeps one connection open and re-runs the registered hooks after every reconnect."""

    def __init__(self, settings: AmqpSettings, *, name: str = "trace-bridge") -> None:
        self._settings = settings
        self._name = name
        self._hooks: list[ConnectHook] = []
        self._connection: AbstractConnection | None = None
        self._ready = asyncio.Event()
        self._lost = asyncio.Event()
        self._stopping = asyncio.Event()

    def on_connect(self, hook: ConnectHook) -> None:
        """Run `hook` (declare topology, start consumers…) after every (re)connect, in order."""
        self._hooks.append(hook)

    @property
    def is_ready(self) -> bool:
        """True while a connection is open and every hook has succeeded on it."""
        return self._ready.is_set()

    @property
    def connection(self) -> AbstractConnection:
        if self._connection is None or self._connection.is_closed or not self.is_ready:
            raise BrokerUnavailableError("no open AMQP connection")
        return self._connection

    async def wait_ready(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def run(self) -> None:
        """Supervise until `stop()`: connect, run hooks, wait for a loss, back off, repeat."""
        failures = 0
        while not self._stopping.is_set():
            try:
                await self._open()
                failures = 0
                await self._wait_lost()
            except CONNECT_ERRORS as error:
                failures += 1
                log.warning("amqp.connect_failed", error=str(error), attempt=failures)
            finally:
                await self._discard()
            if not self._stopping.is_set():
                await self._backoff(failures)

    async def stop(self) -> None:
        self._stopping.set()
        self._lost.set()

    async def _open(self) -> None:
        self._lost.clear()
        connection = await connect(self._settings, self._name)
        self._connection = connection
        connection.close_callbacks.add(self._on_close)
        for hook in self._hooks:
            await hook(connection)
        self._ready.set()
        metrics.amqp_connected.set(1)
        log.info("amqp.connected", hooks=len(self._hooks))

    async def _wait_lost(self) -> None:
        await self._lost.wait()
        if not self._stopping.is_set():
            log.warning("amqp.connection_lost")

    def _on_close(self, _: Any, error: BaseException | None = None) -> None:
        self._ready.clear()
        metrics.amqp_connected.set(0)
        self._lost.set()

    async def _discard(self) -> None:
        self._ready.clear()
        metrics.amqp_connected.set(0)
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed:
            with contextlib.suppress(*CONNECT_ERRORS):
                await connection.close()

    async def _backoff(self, failures: int) -> None:
        ceiling = min(
            self._settings.reconnect_max, self._settings.reconnect_initial * 2 ** max(failures - 1, 0)
        )
        delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography
        log.info("amqp.reconnect_wait", delay_s=round(delay, 3))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay)
