"""`trace-bridge topology declare`: create exchanges, queues and bindings before the first start.

The service declares the same topology on every (re)connect; this command lets a
deployment pipeline (or an operator without the service running) do it up front and see
exactly what exists afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import cast

import aiormq
import typer
from aio_pika.abc import AbstractChannel
from pamqp.common import FieldTable

import service.cli as cli
from service import logs
from service.amqp.errors import BrokerUnavailableError
from service.amqp.topology import (
    QUORUM,
    declare_leads,
    declare_tariffs,
    retry_queue_arguments,
    work_queue_arguments,
)
from service.config import AmqpSettings, LogFormat, LogLevel, load_all
from service.leads.settings import LeadSettings
from service.ops.broker import broker_connection
from service.ops.dead_letters import plain
from service.tariffs.settings import TariffSettings

app = typer.Typer(no_args_is_help=True)


@app.callback()
def topology() -> None:
    """RabbitMQ exchanges, queues and bindings of trace-bridge."""


def _queues(tariffs: TariffSettings, leads: LeadSettings) -> Iterator[tuple[str, FieldTable]]:
    yield tariffs.queue, work_queue_arguments(tariffs)
    for tier in range(len(tariffs.retry_delays)):
        yield tariffs.retry_queue(tier), retry_queue_arguments(tariffs, tier)
    yield tariffs.dead_letter_queue, QUORUM
    yield leads.invalid_queue, QUORUM


def _arguments(arguments: FieldTable) -> str:
    return ", ".join(f"{key}={plain(value)}" for key, value in sorted(arguments.items()))


async def _declare(amqp: AmqpSettings, tariffs: TariffSettings, leads: LeadSettings) -> list[str]:
    async with broker_connection(amqp, "trace-bridge topology") as connection:
        channel = await connection.channel()
        await declare_tariffs(channel, tariffs)
        await declare_leads(channel, leads)
        return await _describe(channel, tariffs, leads)


async def _describe(channel: AbstractChannel, tariffs: TariffSettings, leads: LeadSettings) -> list[str]:
    """What now exists, each queue checked with a passive declare (depth and consumers)."""
    lines = [
        f"exchange {tariffs.exchange} (topic, durable)",
        f"exchange {tariffs.dead_letter_exchange} (fanout, durable)",
        f"exchange {leads.exchange} (topic, durable)"
        + (f" alternate-exchange={leads.alternate_exchange}" if leads.alternate_exchange else ""),
    ]
    for name, arguments in _queues(tariffs, leads):
        declared = await channel.declare_queue(name, passive=True)
        result = declared.declaration_result
        lines.append(
            f"queue {name} ({_arguments(arguments)}) "
            f"messages={result.message_count or 0} consumers={result.consumer_count or 0}"
        )
    lines.append(f"binding {tariffs.exchange} -> {tariffs.queue} key={tariffs.binding_key}")
    lines.append(f"binding {tariffs.dead_letter_exchange} -> {tariffs.dead_letter_queue} (fanout)")
    return lines


@app.command("declare")
def declare() -> None:
    """Declare the tariff and lead topology (idempotent) and print what exists.

    Names come from the TRACE_BRIDGE_TARIFFS_* and TRACE_BRIDGE_LEADS_* variables, the
    broker from AMQP_URL. Exit codes: 0 declared, 1 the broker refused a declaration
    (e.g. a queue exists with other arguments), 2 configuration error, 3 RabbitMQ unreachable.
    """
    loaded = load_all([AmqpSettings, TariffSettings, LeadSettings])
    amqp = cast(AmqpSettings, loaded[AmqpSettings])
    tariffs = cast(TariffSettings, loaded[TariffSettings])
    leads = cast(LeadSettings, loaded[LeadSettings])
    logs.configure(LogLevel.ERROR, LogFormat.CONSOLE)
    try:
        lines = asyncio.run(_declare(amqp, tariffs, leads))
    except BrokerUnavailableError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(cli.EXIT_UNAVAILABLE) from None
    except aiormq.exceptions.ChannelClosed as error:
        typer.echo(f"error: RabbitMQ refused a declaration: {error}", err=True)
        raise typer.Exit(cli.EXIT_FAILURE) from None
    for line in lines:
        typer.echo(line)
