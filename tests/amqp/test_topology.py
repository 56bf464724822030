"""Topology and confirmed publishing against the real RabbitMQ."""

from __future__ import annotations

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractRobustConnection

from service.amqp.errors import UnroutableError
from service.amqp.publisher import Publisher
from service.amqp.topology import declare_leads, declare_tariffs, tariff_queues
from service.leads.settings import LeadSettings
from service.tariffs.settings import TariffSettings, delay_label
from tests.support.amqp import collect

pytestmark = pytest.mark.integration


async def test_declaring_twice_is_idempotent(channel: AbstractChannel, tariff_names: TariffSettings) -> None:
    await declare_tariffs(channel, tariff_names)
    await declare_tariffs(channel, tariff_names)
    for name in tariff_queues(tariff_names):
        queue = await channel.declare_queue(name, passive=True)
        assert queue.declaration_result.message_count == 0


async def test_tariff_changed_is_routed_to_the_work_queue_only(
    amqp: AbstractRobustConnection, channel: AbstractChannel, tariff_names: TariffSettings
) -> None:
    await declare_tariffs(channel, tariff_names)
    publisher = await Publisher.open(amqp)
    await publisher.publish(aio_pika.Message(b"{}"), tariff_names.exchange, "tariff.changed.ppa_upstream")
    with pytest.raises(UnroutableError):
        await publisher.publish(
            aio_pika.Message(b"{}"), tariff_names.exchange, "tariff.uploaded.ppa_upstream"
        )
    [message] = await collect(channel, tariff_names.queue, 1)
    assert message.body == b"{}"
    await publisher.close()


async def test_retry_tier_dead_letters_back_to_the_work_queue_after_its_ttl(
    amqp: AbstractRobustConnection, channel: AbstractChannel, tariff_names: TariffSettings
) -> None:
    await declare_tariffs(channel, tariff_names)
    publisher = await Publisher.open(amqp)
    headers = {"trace-bridge-attempts": 1}
    await publisher.publish(aio_pika.Message(b"retry-me", headers=headers), "", tariff_names.retry_queue(0))
    [message] = await collect(channel, tariff_names.queue, 1, timeout=10)
    assert message.body == b"retry-me"
    assert message.headers["trace-bridge-attempts"] == 1
    await publisher.close()


async def test_delivery_limit_backstop_dead_letters_a_crash_looping_message(
    amqp: AbstractRobustConnection, tariff_names: TariffSettings
) -> None:
    settings = tariff_names.model_copy(update={"delivery_limit": 2})
    async with amqp.channel() as setup:
        await declare_tariffs(setup, settings)
        await setup.default_exchange.publish(aio_pika.Message(b"poison"), routing_key=settings.queue)
    for _ in range(3):  # a consumer that dies holding the message, three times
        async with amqp.channel() as crashing:
            queue = await crashing.get_queue(settings.queue, ensure=False)
            if await queue.get(fail=False, timeout=5) is None:
                break
    async with amqp.channel() as check:
        [dead] = await collect(check, settings.dead_letter_queue, 1)
    assert dead.body == b"poison"


async def test_lead_topology_declares_exchange_and_invalid_queue(
    channel: AbstractChannel, lead_names: LeadSettings
) -> None:
    await declare_leads(channel, lead_names)
    await declare_leads(channel, lead_names)
    await channel.get_exchange(lead_names.exchange, ensure=True)
    await channel.declare_queue(lead_names.invalid_queue, passive=True)


@pytest.mark.parametrize(
    ("seconds", "label"),
    [(0.2, "200ms"), (1, "1s"), (10, "10s"), (60, "1m"), (90, "90s"), (600, "10m"), (3600, "1h")],
)
def test_delay_labels(seconds: float, label: str) -> None:
    assert delay_label(seconds) == label
