"""The pipeline as real `trace-bridge run --only tariffs` processes: replicas, kills, restarts."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import AsyncIterator

import aio_pika
import orjson
import pytest
from aio_pika.abc import AbstractRobustConnection

from contracts import TariffChanged
from service.tariffs.settings import TariffSettings
from tests.support.amqp import AMQP_URL, cleanup_channel
from tests.support.broker import broker_stopped
from tests.support.sandbox import SandboxServer
from tests.support.service import ServiceProcess
from tests.support.waiting import eventually
from tests.tariffs.factory import event
from tests.tariffs.harness import declare_outcomes, publish, start_service, tariff_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
async def outcomes_queue(amqp: AbstractRobustConnection, tariff_names: TariffSettings) -> AsyncIterator[str]:
    async with amqp.channel() as channel:
        name = await declare_outcomes(channel, tariff_names)
    yield name
    async with cleanup_channel() as channel:
        await channel.queue_delete(name)


async def outcome_ids(
    amqp: AbstractRobustConnection, queue: str, expected: set[str], timeout: float = 120
) -> list[str]:
    """Every outcome until each expected event id has one (duplicates included)."""
    seen: list[str] = []
    async with amqp.channel() as channel:
        source = await channel.get_queue(queue, ensure=False)

        async def covered() -> bool:
            while (received := await source.get(no_ack=True, fail=False)) is not None:
                seen.append(orjson.loads(received.body)["data"]["source_event_id"])
            return set(seen) >= expected

        await eventually(covered, timeout=timeout, message=f"outcomes of {len(expected)} events")
    return seen


async def mid_stream(
    amqp: AbstractRobustConnection,
    names: TariffSettings,
    sandbox: SandboxServer,
    state_url: str,
    processes: list[ServiceProcess],
    *,
    count: int = 300,
    latency_ms: float = 20,
) -> tuple[ServiceProcess, list[TariffChanged], dict[str, str]]:
    """A service working through `count` queued events, some of them uploaded already."""
    sandbox.set_faults(latency_ms=latency_ms)
    env = tariff_env(sandbox, names, state_url)
    events = [event(index) for index in range(count)]
    await publish(amqp, names.exchange, events)
    service = await start_service(processes, env)
    await eventually(lambda: len(sandbox.offers()) > 20, timeout=60, message="uploads under way")
    return service, events, env


def revision_of(offer: dict[str, object]) -> int:
    return int(str(offer["name"]).rsplit(" ", 1)[1])


async def test_two_replicas_on_postgresql_never_upload_an_older_revision_after_a_newer_one(
    amqp: AbstractRobustConnection,
    tariff_names: TariffSettings,
    outcomes_queue: str,
    sandbox: SandboxServer,
    postgres_url: str,
    service_processes: list[ServiceProcess],
) -> None:
    sandbox.set_faults(latency_ms=15)
    env = tariff_env(sandbox, tariff_names, postgres_url, TRACE_BRIDGE_TARIFFS_BATCH_LINGER="0.005")
    await asyncio.gather(start_service(service_processes, env), start_service(service_processes, env))
    events = [
        event(
            100 + tariff,
            "ppa_upstream",
            tariff_id=f"contested-{tariff}",
            revision=revision,
            name=f"contested {tariff} rev {revision}",
        )
        for tariff in range(5)
        for revision in range(1, 21)
    ]
    random.Random(7).shuffle(events)
    await publish(amqp, tariff_names.exchange, events)
    await outcome_ids(amqp, outcomes_queue, {e.id for e in events})

    for tariff in range(5):
        uploads = [o for o in sandbox.offers() if o["name"].startswith(f"contested {tariff} ")]
        revisions = [revision_of(o["offer"]) for o in sorted(uploads, key=lambda o: o["createdAt"])]
        assert revisions, f"nothing uploaded for tariff {tariff}"
        assert revisions == sorted(revisions), f"tariff {tariff} went backwards: {revisions}"
        assert revisions[-1] == 20
    handled = Counter(line["message"] for p in service_processes for line in p.log_events())
    assert handled["tariff.uploaded"] > 0
    assert all(p.readiness() is not None for p in service_processes)


async def test_sigkill_mid_stream_then_restart_uploads_every_event(
    amqp: AbstractRobustConnection,
    tariff_names: TariffSettings,
    outcomes_queue: str,
    sandbox: SandboxServer,
    sqlite_url: str,
    service_processes: list[ServiceProcess],
) -> None:
    sandbox.set_faults(latency_ms=20)
    env = tariff_env(sandbox, tariff_names, sqlite_url, TRACE_BRIDGE_TARIFFS_PREFETCH="20")
    events = [event(index) for index in range(400)]
    await publish(amqp, tariff_names.exchange, events)
    victim = await start_service(service_processes, env)
    await eventually(lambda: len(sandbox.offers()) > 50, timeout=60, message="uploads under way")
    victim.kill()
    await start_service(service_processes, env)

    await outcome_ids(amqp, outcomes_queue, {e.id for e in events})
    uploads = Counter(o["name"] for o in sandbox.offers())
    tiers = {e.data.offer.name: len(e.data.offer.configuration.capacity_tiers or [None]) for e in events}
    duplicated = [name for name, count in uploads.items() if count > tiers[name]]
    assert len(duplicated) <= 20 + 2 * 4  # at most the prefetched and in-flight events of the victim


async def test_sigterm_mid_stream_exits_0_within_the_grace_period_and_loses_nothing(
    amqp: AbstractRobustConnection,
    tariff_names: TariffSettings,
    outcomes_queue: str,
    sandbox: SandboxServer,
    sqlite_url: str,
    service_processes: list[ServiceProcess],
) -> None:
    first, events, env = await mid_stream(
        amqp, tariff_names, sandbox, sqlite_url, service_processes, latency_ms=50
    )
    started = time.monotonic()
    assert await asyncio.to_thread(first.terminate, 15) == 0
    assert time.monotonic() - started < 10 + 3
    await start_service(service_processes, env)
    await outcome_ids(amqp, outcomes_queue, {e.id for e in events})
    async with amqp.channel() as channel:
        dlq = await channel.declare_queue(tariff_names.dead_letter_queue, passive=True)
        assert dlq.declaration_result.message_count == 0
    assert "tariffs.handler_cancelled" not in first.output()


async def test_a_broker_restart_mid_stream_is_survived_and_nothing_is_lost(
    amqp: AbstractRobustConnection,
    tariff_names: TariffSettings,
    outcomes_queue: str,
    sandbox: SandboxServer,
    sqlite_url: str,
    service_processes: list[ServiceProcess],
) -> None:
    service, events, _ = await mid_stream(amqp, tariff_names, sandbox, sqlite_url, service_processes)
    async with broker_stopped():
        await eventually(lambda: (service.readiness() or {}).get("status") == "not_ready", timeout=30)
    await asyncio.to_thread(service.wait_ready, 60)
    fresh = await aio_pika.connect_robust(AMQP_URL)
    try:
        await outcome_ids(fresh, outcomes_queue, {e.id for e in events})
    finally:
        await fresh.close()
    assert service.process is not None
    assert service.process.poll() is None
