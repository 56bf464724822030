"""The running service as operators see it: health, readiness, metrics and its log lines."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from aio_pika.abc import AbstractRobustConnection

from service.tariffs.settings import TariffSettings
from tests.support.broker import broker_stopped
from tests.support.sandbox import SandboxServer, StartSandbox
from tests.support.service import ServiceProcess
from tests.support.waiting import eventually
from tests.tariffs.factory import event
from tests.tariffs.harness import publish, start_service, tariff_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]
UPLOADED = re.compile(r'^trace_bridge_tariff_events_uploaded_total\{product="(\w+)"\} (\S+)$', re.MULTILINE)


def uploaded_total(service: ServiceProcess) -> float:
    text = httpx.get(f"{service.url}/metrics", timeout=5).text
    return sum(float(value) for _, value in UPLOADED.findall(text))


async def test_metrics_move_and_readiness_follows_the_broker(
    amqp: AbstractRobustConnection,
    tariff_names: TariffSettings,
    sandbox: SandboxServer,
    sqlite_url: str,
    service_processes: list[ServiceProcess],
) -> None:
    service = await start_service(service_processes, tariff_env(sandbox, tariff_names, sqlite_url))
    assert httpx.get(f"{service.url}/healthz", timeout=5).json() == {"status": "ok"}
    ready = service.readiness()
    assert ready is not None
    assert set(ready["checks"]) == {"amqp", "state_store", "trace_token", "tariff_consumer"}

    before = uploaded_total(service)
    await publish(amqp, tariff_names.exchange, [event(index) for index in range(10)])
    await eventually(lambda: uploaded_total(service) >= before + 10, timeout=30, message="counter moved")
    metrics = httpx.get(f"{service.url}/metrics", timeout=5).text
    for name in (
        "trace_bridge_upload_batch_size_offers_bucket",
        "trace_bridge_token_expires_in_seconds",
        "trace_bridge_trace_requests_total",
        "trace_bridge_circuit_breaker_open",
    ):
        assert name in metrics, name

    async with broker_stopped():
        await eventually(
            lambda: (service.readiness() or {}).get("status") == "not_ready",
            timeout=30,
            message="not ready without RabbitMQ",
        )
        down = service.readiness() or {}
        assert down["checks"]["amqp"]["ok"] is False
        assert down["checks"]["tariff_consumer"]["ok"] is False
        assert httpx.get(f"{service.url}/readyz", timeout=5).status_code == 503
        assert httpx.get(f"{service.url}/healthz", timeout=5).status_code == 200
    await asyncio.to_thread(service.wait_ready, 60)


async def test_a_whole_run_never_logs_the_secret_or_a_token(
    amqp: AbstractRobustConnection,
    tariff_names: TariffSettings,
    start_sandbox: StartSandbox,
    sqlite_url: str,
    service_processes: list[ServiceProcess],
) -> None:
    sandbox = start_sandbox(token_lifetime=1.5)
    env = tariff_env(sandbox, tariff_names, sqlite_url, TRACE_BRIDGE_LOG_LEVEL="DEBUG")
    service = await start_service(service_processes, env)
    await publish(amqp, tariff_names.exchange, [event(index) for index in range(20)])
    await eventually(lambda: uploaded_total(service) >= 20, timeout=30)
    await eventually(lambda: sandbox.stats()["logins"] >= 3, timeout=30, message="several token renewals")
    sandbox.revoke_tokens()
    await publish(amqp, tariff_names.exchange, [event(index) for index in range(20, 25)])
    await eventually(lambda: uploaded_total(service) >= 25, timeout=30)
    service.terminate()
    output = service.output()
    assert "token.invalidated" in output or "tariff.uploaded" in output
    assert "sandbox-secret" not in output
    assert not re.search(r"eyJ[\w-]+\.[\w-]+", output), "a JWT reached the logs"
    assert sandbox.stats()["expired_token_requests"] == 0
