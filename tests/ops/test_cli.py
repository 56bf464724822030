"""`topology declare` against the real RabbitMQ, and `--help` of every command."""

from __future__ import annotations

import pytest
from aio_pika.abc import AbstractRobustConnection
from typer.testing import CliRunner

from service.cli import app, topology_cmd
from service.leads.settings import LeadSettings
from service.tariffs.settings import TariffSettings
from tests.ops.crafting import cli_env, invoke, queue_depth
from tests.support.amqp import tariff_settings_for, unique

HELP = [
    ((), ["run", "sandbox", "topology", "dlq", "contracts", "config", "token", "demo"]),
    (("run",), ["--only"]),
    (("sandbox",), ["--host", "--port", "--error-rate"]),
    (("topology",), ["declare"]),
    (("topology", "declare"), ["Exit codes", "AMQP_URL"]),
    (("dlq",), ["list", "show", "replay", "purge", "Exit codes"]),
    (
        ("dlq", "list"),
        ["--kind", "--type", "--older-than", "--newer-than", "--limit", "--json", "Exit codes"],
    ),
    (("dlq", "show"), ["event_id", "Exit codes"]),
    (("dlq", "replay"), ["--kind", "--dry-run", "--yes", "--rate", "Exit codes"]),
    (("dlq", "purge"), ["--kind", "--older-than", "--yes", "Exit codes"]),
    (("contracts",), ["export"]),
    (("contracts", "export"), ["--out"]),
    (("config",), ["show", "table"]),
    (("token",), ["check"]),
    (("demo",), ["--sandbox-port", "--http-port", "--state-file", "--exit-after-publish", "Exit codes"]),
]


@pytest.mark.parametrize(("path", "mentions"), HELP, ids=[" ".join(path) or "root" for path, _ in HELP])
def test_every_command_has_help_naming_its_options(path: tuple[str, ...], mentions: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    for mention in mentions:
        assert mention in result.output, f"{' '.join(path)} --help does not mention {mention}"


@pytest.fixture
def lead_names() -> LeadSettings:
    name = unique("ops")
    return LeadSettings(exchange=f"{name}.leads", invalid_queue=f"{name}.leads.invalid")


@pytest.mark.integration
async def test_topology_declare_is_idempotent_and_prints_what_exists(
    names: TariffSettings, lead_names: LeadSettings, amqp: AbstractRobustConnection
) -> None:
    env = {
        **cli_env(names),
        LeadSettings.env_name("exchange"): lead_names.exchange,
        LeadSettings.env_name("invalid_queue"): lead_names.invalid_queue,
    }
    try:
        for _ in range(2):
            result = await invoke(topology_cmd.app, "declare", env=env)
            assert result.exit_code == 0, result.output
        out = result.stdout
        for name in (names.exchange, names.dead_letter_exchange, lead_names.exchange):
            assert f"exchange {name} " in out
        for name in (names.queue, names.retry_queue(0), names.retry_queue(1), names.dead_letter_queue):
            assert f"queue {name} (" in out
        assert f"binding {names.exchange} -> {names.queue} key=tariff.changed.#" in out
        async with amqp.channel() as channel:
            assert await queue_depth(channel, lead_names.invalid_queue) == 0  # exists
    finally:
        async with amqp.channel() as cleanup:
            await cleanup.queue_delete(lead_names.invalid_queue)
            await cleanup.exchange_delete(lead_names.exchange)


async def test_topology_declare_exits_3_when_rabbitmq_is_unreachable() -> None:
    unreachable = cli_env(tariff_settings_for(unique("ops")), "amqp://guest:s3cret-pw@127.0.0.1:1/")
    result = await invoke(topology_cmd.app, "declare", env=unreachable)
    assert result.exit_code == 3
    assert "RabbitMQ unreachable" in result.output
    assert "s3cret-pw" not in result.output
