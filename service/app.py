"""`trace-bridge run`: wire the parts together, serve until a signal, shut down cleanly.

One TRACE client (connection pool, token, rate limiter), one state store and one AMQP
connection are shared by the tariff consumer and the lead poller. SIGTERM/SIGINT stop
deliveries first, give in-flight events their grace period, then close everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from service import logs
from service.amqp.connection import Broker
from service.amqp.topology import tariff_queues
from service.config import AmqpSettings, S, ServiceSettings, load_all
from service.leads.poller import LeadPoller
from service.leads.settings import LeadSettings
from service.logs import get_logger
from service.ops import depths
from service.ops.health import CheckResult, Readiness, server
from service.sections import ALL_SECTIONS
from service.state import open_store
from service.state.base import StateStore
from service.state.errors import StateError
from service.tariffs.breaker import CircuitBreaker
from service.tariffs.consumer import TariffConsumer
from service.tariffs.handler import TariffHandler
from service.tariffs.ordering import TariffGate
from service.tariffs.settings import TariffSettings
from service.tariffs.uploader import Uploader
from service.trace.client import TraceClient
from service.trace.profile import TraceProfile
from service.trace.settings import TraceSettings

log = get_logger(__name__)
DEPTH_INTERVAL = 15.0
RETENTION_INTERVAL = 3600.0


class Part(StrEnum):
    TARIFFS = "tariffs"
    LEADS = "leads"


@dataclass(frozen=True)
class Settings:
    """Every section `run` needs, validated together so all problems are reported at once."""

    service: ServiceSettings
    amqp: AmqpSettings
    trace: TraceSettings
    profile: TraceProfile
    tariffs: TariffSettings
    leads: LeadSettings

    @classmethod
    def load(cls) -> Settings:
        """Validate every section from the environment; `ConfigError` lists all problems."""
        loaded = load_all(ALL_SECTIONS)

        def pick(section: type[S]) -> S:
            value = loaded[section]
            assert isinstance(value, section)
            return value

        return cls(
            service=pick(ServiceSettings),
            amqp=pick(AmqpSettings),
            trace=pick(TraceSettings),
            profile=pick(TraceProfile),
            tariffs=pick(TariffSettings),
            leads=pick(LeadSettings),
        )


def instance_id() -> str:
    """Unique per process: leases must not be shared by two processes on one host."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def listen(host: str, port: int) -> socket.socket:
    """Bind the ops port ourselves, so a busy port is our error (exit 3), not uvicorn's exit."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


@dataclass
class Bridge:
    """The running service: its parts, their readiness checks and their shutdown order."""

    settings: Settings
    parts: frozenset[Part]
    store: StateStore
    client: TraceClient
    broker: Broker
    readiness: Readiness = field(default_factory=Readiness)
    consumer: TariffConsumer | None = None
    uploader: Uploader | None = None
    poller: LeadPoller | None = None

    def wire(self) -> None:
        owner = instance_id()
        self.readiness.add("amqp", self._amqp_ready)
        self.readiness.add("state_store", self._store_ready)
        self.readiness.add("trace_token", self._token_ready)
        if Part.TARIFFS in self.parts:
            s = self.settings.tariffs
            self.uploader = Uploader(self.client, self.settings.profile, s)
            handler = TariffHandler(
                settings=s,
                store=self.store,
                gate=TariffGate(
                    self.store, owner, lease_seconds=s.lease_seconds, ordering_wait=s.ordering_wait
                ),
                uploader=self.uploader,
                breaker=CircuitBreaker(s.breaker_threshold, s.breaker_open_initial, s.breaker_open_max),
            )
            self.consumer = TariffConsumer(s, handler)
            self.broker.on_connect(self.consumer.on_connect)
            self.readiness.add("tariff_consumer", self._consumer_ready)
        if Part.LEADS in self.parts:
            self.poller = LeadPoller(self.settings.leads, self.client, self.store, self.broker)
            self.broker.on_connect(self.poller.on_connect)
            self.readiness.add("lead_poller", self.poller.readiness)

    def background(self) -> list[Coroutine[Any, Any, None]]:
        jobs: list[Coroutine[Any, Any, None]] = [self.broker.run(), self._forget_settled()]
        if self.consumer is not None:
            jobs.append(
                depths.sample_forever(self.broker, tariff_queues(self.settings.tariffs), DEPTH_INTERVAL)
            )
        if self.poller is not None:
            jobs.append(self.poller.run())
        return jobs

    async def shutdown(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop(self.settings.tariffs.shutdown_grace)
        if self.poller is not None:
            await self.poller.stop()
        if self.uploader is not None:
            await self.uploader.aclose()
        await self.broker.stop()

    async def _amqp_ready(self) -> CheckResult:
        return CheckResult(self.broker.is_ready, "" if self.broker.is_ready else "not connected")

    async def _consumer_ready(self) -> CheckResult:
        consuming = self.consumer is not None and self.consumer.is_consuming
        return CheckResult(consuming, "" if consuming else "not consuming")

    async def _store_ready(self) -> CheckResult:
        await self.store.ping()
        return CheckResult(True)

    async def _token_ready(self) -> CheckResult:
        status = self.client.tokens.status
        if status.has_valid_token:
            return CheckResult(True, f"expires in {status.expires_in:.0f} s")
        if status.credentials_rejected:
            return CheckResult(
                False, "TRACE rejected the credentials (check TRACE_CLIENT_ID/SECRET/AUDIENCE)"
            )
        return CheckResult(False, f"no valid token ({status.last_error or 'login pending'})")

    async def _forget_settled(self) -> None:
        while True:
            cutoff = datetime.now(UTC) - timedelta(seconds=self.settings.tariffs.settled_retention)
            try:
                removed = await self.store.forget_settled(cutoff)
                log.debug("state.retention", removed=removed)
            except StateError as error:  # retried next round; the store's health is readiness's job
                log.warning("state.retention_failed", error=str(error))
            await asyncio.sleep(RETENTION_INTERVAL)


def _stop_on_signals(stop: asyncio.Event) -> Callable[[], None]:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def restore() -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)

    return restore


async def serve(
    settings: Settings,
    parts: frozenset[Part],
    stop: asyncio.Event | None = None,
    started: Callable[[Bridge], Awaitable[None]] | None = None,
) -> None:
    """Run until `stop` is set (or SIGTERM/SIGINT), then shut down in order."""
    stop = stop or asyncio.Event()
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(_stop_on_signals(stop))
        sock = cleanup.enter_context(listen(settings.service.http_host, settings.service.http_port))
        store = await open_store(settings.service.state_url)
        try:
            async with TraceClient(settings.trace, settings.profile) as client:
                broker = Broker(settings.amqp, name=f"trace-bridge {instance_id()}")
                bridge = Bridge(settings, parts, store, client, broker)
                bridge.wire()
                await _serve_until(bridge, sock, stop, started)
        finally:
            await store.close()
            log.info("bridge.stopped")


async def _serve_until(
    bridge: Bridge,
    sock: socket.socket,
    stop: asyncio.Event,
    started: Callable[[Bridge], Awaitable[None]] | None,
) -> None:
    service = bridge.settings.service
    http = server(bridge.readiness, service.http_host, service.http_port)
    tasks = [asyncio.create_task(job) for job in bridge.background()]
    tasks.append(asyncio.create_task(http.serve(sockets=[sock])))
    log.info("bridge.started", parts=sorted(bridge.parts), http_port=sock.getsockname()[1])
    if started is not None:
        await started(bridge)
    await stop.wait()
    log.info("bridge.stopping")
    await bridge.shutdown()
    http.should_exit = True
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def configure_logging(service: ServiceSettings) -> None:
    logs.configure(service.log_level, service.log_format)
