"""Fixtures of the operations tests: a private tariff topology and a DLQ full of letters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aio_pika.abc import AbstractChannel, AbstractRobustConnection

from service.tariffs.failures import ErrorKind
from service.tariffs.settings import TariffSettings
from tests.ops.crafting import Crafter, cli_env
from tests.support.amqp import delete_tariff_topology, tariff_settings_for, unique

UNKNOWN_TYPE = "trace.tariff.deleted.v1"


@pytest.fixture
async def names(amqp: AbstractRobustConnection) -> AsyncIterator[TariffSettings]:
    """Tariff names unique to the test (delivery limit 2); the topology is deleted after."""
    settings = tariff_settings_for(unique("ops"), delivery_limit=2, retry_delays=[0.2, 0.4])
    yield settings
    async with amqp.channel() as cleanup:
        await delete_tariff_topology(cleanup, settings)


@pytest.fixture
def env(names: TariffSettings) -> dict[str, str]:
    return cli_env(names)


@pytest.fixture
async def crafter(
    amqp: AbstractRobustConnection, channel: AbstractChannel, names: TariffSettings
) -> AsyncIterator[Crafter]:
    crafter = await Crafter.open(amqp, channel, names)
    yield crafter
    await crafter.publisher.close()


@pytest.fixture
async def ten_kinds(crafter: Crafter) -> Crafter:
    """Eleven letters, one of every error kind plus a second `retries_exhausted`."""
    now = datetime.now(UTC)
    await crafter.ours(0, ErrorKind.INVALID_ENCODING, body=b"\xff\xfe\x00 not utf-8")
    await crafter.ours(1, ErrorKind.INVALID_JSON, body=b"{not json")
    await crafter.ours(2, ErrorKind.PAYLOAD_TOO_LARGE)
    await crafter.ours(3, ErrorKind.UNSUPPORTED_CONTENT_TYPE, content_type="text/plain")
    await crafter.ours(4, ErrorKind.INVALID_EVENT)
    await crafter.ours(5, ErrorKind.UNKNOWN_TYPE, type=UNKNOWN_TYPE)
    await crafter.ours(6, ErrorKind.INVALID_DATA, failed_at=now - timedelta(hours=3))
    await crafter.ours(7, ErrorKind.REJECTED_BY_TRACE)
    await crafter.ours(8, ErrorKind.RETRIES_EXHAUSTED, failed_at=now - timedelta(days=2))
    await crafter.by_broker(9)
    await crafter.ours(10, ErrorKind.RETRIES_EXHAUSTED)
    return crafter
