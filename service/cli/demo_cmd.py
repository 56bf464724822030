"""`trace-bridge demo`: the bridge end to end against the bundled TRACE sandbox (`make run`)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Annotated

import typer

import service.cli as cli
from service.amqp.errors import BrokerUnavailableError
from service.config import AmqpSettings, LogLevel, load
from service.ops.demo import DemoOptions, DemoStartError, publish_examples, run_demo
from service.state.errors import StateError
from service.tariffs.settings import TariffSettings


def _publish_only() -> None:
    try:
        asyncio.run(publish_examples(load(AmqpSettings), load(TariffSettings), typer.echo))
    except BrokerUnavailableError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(cli.EXIT_UNAVAILABLE) from None


def demo(
    sandbox_port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port of the bundled TRACE sandbox; 0 picks a free one.")
    ] = 0,
    http_port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port of /healthz, /readyz, /metrics; 0 picks a free one.")
    ] = 0,
    state_file: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False,
            help="SQLite state file (default: a file in a temporary directory, removed at exit).",
        ),
    ] = None,
    publish_only: Annotated[
        bool,
        typer.Option(help="Only publish the examples to AMQP_URL (for a bridge running elsewhere) and exit."),
    ] = False,
    exit_after_publish: Annotated[
        bool, typer.Option(help="Stop once the example events are settled, instead of running until Ctrl-C.")
    ] = False,
    outcome_timeout: Annotated[
        float, typer.Option(min=1.0, help="Seconds to wait for the examples' outcomes.")
    ] = 60.0,
    log_level: Annotated[LogLevel, typer.Option(help="Log level of the bridge (logs go to stderr).")] = (
        LogLevel.WARNING
    ),
) -> None:
    """Run the bridge against the bundled TRACE sandbox and publish the example events.

    Needs only RabbitMQ (AMQP_URL, default localhost). Starts the sandbox in this process,
    runs the bridge with the sandbox's demo credentials (TRACE_* variables are not
    needed and are overridden), declares the topology, publishes the three
    tariff-changed examples to the tariff exchange, prints their outcomes and the offers
    the sandbox received, then keeps running until Ctrl-C, printing the URLs to look at.
    With --publish-only it just publishes the examples (docker compose uses this).

    Exit codes: 0 ok, 1 an example was not uploaded (with --exit-after-publish),
    2 configuration error, 3 RabbitMQ, a port or the state file unavailable.
    """
    if publish_only:
        _publish_only()
        return
    with tempfile.TemporaryDirectory(prefix="trace-bridge-demo-") as scratch:
        options = DemoOptions(
            sandbox_port=sandbox_port,
            http_port=http_port,
            state_file=state_file or Path(scratch) / "state.db",
            exit_after_publish=exit_after_publish,
            outcome_timeout=outcome_timeout,
            log_level=log_level,
        )
        try:
            ok = asyncio.run(run_demo(options, typer.echo))
        except (BrokerUnavailableError, DemoStartError, StateError, OSError) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(cli.EXIT_UNAVAILABLE) from None
        except KeyboardInterrupt:
            raise typer.Exit(cli.EXIT_OK) from None
    if exit_after_publish and not ok:
        raise typer.Exit(cli.EXIT_FAILURE)
