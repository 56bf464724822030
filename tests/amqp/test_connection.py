"""The connection supervisor: hooks on every connect, readiness, reconnect after loss."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aio_pika.abc import AbstractConnection
from pydantic import SecretStr

from service.amqp.connection import Broker
from service.amqp.errors import BrokerUnavailableError
from service.config import AmqpSettings
from tests.support.tcpproxy import TcpProxy
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    tcp = TcpProxy()
    await tcp.start()
    yield tcp
    await tcp.stop()


def settings_for(url: str) -> AmqpSettings:
    return AmqpSettings(url=SecretStr(url), reconnect_initial=0.05, reconnect_max=0.2, heartbeat=5)


async def test_reconnects_and_reruns_hooks_after_network_loss(proxy: TcpProxy) -> None:
    opened: list[AbstractConnection] = []

    async def hook(connection: AbstractConnection) -> None:
        opened.append(connection)

    broker = Broker(settings_for(proxy.url()))
    broker.on_connect(hook)
    supervisor = asyncio.create_task(broker.run())
    try:
        await broker.wait_ready(10)
        assert len(opened) == 1
        await proxy.stop()  # drops the connection and refuses new ones
        await eventually(lambda: not broker.is_ready, message="not-ready after the cut")
        with pytest.raises(BrokerUnavailableError):
            _ = broker.connection
        await proxy.start()
        await eventually(lambda: broker.is_ready and len(opened) == 2, message="reconnected")
    finally:
        await broker.stop()
        await asyncio.wait_for(supervisor, 5)


async def test_keeps_retrying_while_the_broker_is_unreachable(proxy: TcpProxy) -> None:
    url = proxy.url()
    await proxy.stop()
    attempts = 0

    async def hook(_: AbstractConnection) -> None:
        nonlocal attempts
        attempts += 1

    broker = Broker(settings_for(url))
    broker.on_connect(hook)
    supervisor = asyncio.create_task(broker.run())
    try:
        await asyncio.sleep(0)  # let the supervisor fail its first attempts
        assert not broker.is_ready
        await proxy.start()
        await broker.wait_ready(10)
        assert attempts == 1
    finally:
        await broker.stop()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(supervisor, 5)


async def test_a_failing_hook_means_not_ready_and_a_retry(proxy: TcpProxy) -> None:
    calls = 0

    async def flaky(_: AbstractConnection) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("declare failed")

    broker = Broker(settings_for(proxy.url()))
    broker.on_connect(flaky)
    supervisor = asyncio.create_task(broker.run())
    try:
        await broker.wait_ready(10)
        assert calls == 2
    finally:
        await broker.stop()
        await asyncio.wait_for(supervisor, 5)
