"""Exchanges, queues and bindings, declared idempotently at start-up and by the CLI.

Tariffs: topic exchange → quorum work queue; a retry ladder of quorum queues whose fixed
TTL dead-letters back to the work queue (so retries survive restarts and a slow tier
never blocks a fast one); a fanout dead-letter exchange → quorum DLQ. At-least-once
dead-lettering keeps broker-side moves safe, and `x-delivery-limit` stops crash loops.
Leads: a topic exchange and a quorum queue for leads that fit no model.
"""

from __future__ import annotations

import aio_pika
from aio_pika.abc import AbstractChannel
from pamqp.common import Arguments, FieldTable

from service.leads.settings import LeadSettings
from service.tariffs.settings import TariffSettings

QUORUM: FieldTable = {"x-queue-type": "quorum"}
AT_LEAST_ONCE: FieldTable = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


def work_queue_arguments(settings: TariffSettings) -> FieldTable:
    return {
        **QUORUM,
        **AT_LEAST_ONCE,
        "x-delivery-limit": settings.delivery_limit,
        "x-dead-letter-exchange": settings.dead_letter_exchange,
    }


def retry_queue_arguments(settings: TariffSettings, tier: int) -> FieldTable:
    return {
        **QUORUM,
        **AT_LEAST_ONCE,
        "x-message-ttl": round(settings.retry_delays[tier] * 1000),
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": settings.queue,
    }


async def declare_tariffs(channel: AbstractChannel, settings: TariffSettings) -> None:
    """The whole tariff topology; safe to run any number of times."""
    exchange = await channel.declare_exchange(settings.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    dlx = await channel.declare_exchange(
        settings.dead_letter_exchange, aio_pika.ExchangeType.FANOUT, durable=True
    )
    dlq = await channel.declare_queue(settings.dead_letter_queue, durable=True, arguments=QUORUM)
    await dlq.bind(dlx, routing_key="")
    work = await channel.declare_queue(settings.queue, durable=True, arguments=work_queue_arguments(settings))
    await work.bind(exchange, routing_key=settings.binding_key)
    for tier in range(len(settings.retry_delays)):
        await channel.declare_queue(
            settings.retry_queue(tier), durable=True, arguments=retry_queue_arguments(settings, tier)
        )


async def declare_leads(channel: AbstractChannel, settings: LeadSettings) -> None:
    """Lead exchange (with the optional alternate exchange) and the invalid-lead queue."""
    arguments: Arguments = (
        {"alternate-exchange": settings.alternate_exchange} if settings.alternate_exchange else None
    )
    await channel.declare_exchange(
        settings.exchange, aio_pika.ExchangeType.TOPIC, durable=True, arguments=arguments
    )
    await channel.declare_queue(settings.invalid_queue, durable=True, arguments=QUORUM)


def tariff_queues(settings: TariffSettings) -> list[str]:
    """Every queue of the tariff topology, for depth metrics and tooling."""
    retry = [settings.retry_queue(tier) for tier in range(len(settings.retry_delays))]
    return [settings.queue, *retry, settings.dead_letter_queue]
