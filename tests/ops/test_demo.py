"""`trace-bridge demo` (what `make run` starts) in its own process, with only RabbitMQ running."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest
from aio_pika.abc import AbstractChannel, AbstractRobustConnection

from service.leads.settings import LeadSettings
from service.ops.demo import examples
from service.tariffs.settings import TariffSettings
from tests.ops.crafting import cli_env
from tests.support.amqp import collect, tariff_settings_for, unique

DEMO = "import typer; from service.cli.demo_cmd import demo; typer.run(demo)"


def run_demo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """No TRACE_* variables: the demo must bring its own."""
    return subprocess.run(
        [sys.executable, "-c", DEMO, *args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@pytest.fixture
async def lead_names(amqp: AbstractRobustConnection) -> AsyncIterator[LeadSettings]:
    name = unique("ops")
    settings = LeadSettings(exchange=f"{name}.leads", invalid_queue=f"{name}.leads.invalid")
    yield settings
    async with amqp.channel() as cleanup:
        await cleanup.queue_delete(settings.invalid_queue)
        await cleanup.exchange_delete(settings.exchange)


@pytest.mark.integration
async def test_the_demo_uploads_the_examples_and_prints_where_to_look(
    names: TariffSettings, lead_names: LeadSettings
) -> None:
    env = {
        **cli_env(names),
        LeadSettings.env_name("exchange"): lead_names.exchange,
        LeadSettings.env_name("invalid_queue"): lead_names.invalid_queue,
    }
    done = run_demo(env, "--exit-after-publish")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "3 of 3 example events uploaded" in out
    for product in ("direct_marketing", "ppa_upstream", "ppa_downstream"):
        assert f"published  tariff.changed.{product}" in out
    assert out.count("uploaded   ") == 3
    assert "sandbox holds 4 offer(s)" in out  # the direct-marketing example has two capacity tiers
    for path in ("/readyz", "/metrics", "/healthz", "/_sandbox/offers"):
        assert path in out
    assert "sandbox-secret" not in out + done.stderr


def test_the_demo_exits_3_without_rabbitmq() -> None:
    unreachable = cli_env(tariff_settings_for(unique("ops")), "amqp://guest:pw-not-shown@127.0.0.1:1/")
    done = run_demo(unreachable, "--exit-after-publish")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "RabbitMQ unreachable" in done.stderr
    assert "pw-not-shown" not in done.stdout + done.stderr


@pytest.mark.integration
async def test_publish_only_sends_the_three_examples_to_the_work_queue(
    names: TariffSettings, channel: AbstractChannel
) -> None:
    done = run_demo(cli_env(names), "--publish-only")
    assert done.returncode == 0, done.stdout + done.stderr
    received = await collect(channel, names.queue, 3)
    assert sorted(m.routing_key or "" for m in received) == [
        f"tariff.changed.{p}" for p in ("direct_marketing", "ppa_downstream", "ppa_upstream")
    ]
    assert {m.message_id for m in received} == {e.id for e in examples()}
