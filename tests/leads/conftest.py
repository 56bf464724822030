"""A lead poller running in the test's event loop against the sandbox and the real broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest

from service.amqp.connection import Broker
from service.config import AmqpSettings
from service.leads.poller import LeadPoller
from service.leads.settings import LeadSettings
from service.state import StateStore, open_store
from service.trace.client import TraceClient
from service.trace.profile import TraceProfile
from tests.leads.helpers import trace_settings
from tests.support.amqp import AMQP_URL
from tests.support.sandbox import SandboxServer

FAST = {"poll_interval": 0.3, "takeover_interval": 0.2}


@dataclass
class Running:
    """One poller with its own TRACE client and broker connection."""

    settings: LeadSettings
    poller: LeadPoller
    store: StateStore
    client: TraceClient
    broker: Broker
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    stopped: bool = False

    async def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        await self.poller.stop()
        await self.broker.stop()
        await asyncio.gather(*self.tasks)
        await self.client.aclose()
        await self.store.close()


class StartPoller(Protocol):
    async def __call__(
        self,
        sandbox: SandboxServer,
        state_url: str,
        *,
        trace: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> Running: ...


@pytest.fixture
async def start_poller(lead_names: LeadSettings) -> AsyncIterator[StartPoller]:
    """Factory: a running poller (own store, client, connection) on the test's lead names."""
    started: list[Running] = []

    async def start(
        sandbox: SandboxServer,
        state_url: str,
        *,
        trace: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> Running:
        store = await open_store(state_url)
        settings = LeadSettings(**{**lead_names.model_dump(), **FAST, **overrides})
        client = TraceClient(trace_settings(sandbox, **(trace or {})), TraceProfile(_env_file=None))
        client.tokens.start()
        broker = Broker(
            AmqpSettings(url=AMQP_URL, reconnect_initial=0.05, reconnect_max=0.5), name="test-leads"
        )
        poller = LeadPoller(settings, client, store, broker)
        broker.on_connect(poller.on_connect)
        running = Running(settings, poller, store, client, broker)
        running.tasks = [asyncio.create_task(broker.run()), asyncio.create_task(poller.run())]
        started.append(running)
        await broker.wait_ready(10)
        return running

    yield start
    for running in started:
        await running.stop()
