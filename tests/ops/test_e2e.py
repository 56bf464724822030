"""End to end: the running service dead-letters bad events; the DLQ tooling shows and replays them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aio_pika
import orjson
import pytest
from aio_pika.abc import AbstractChannel, AbstractRobustConnection

from contracts import CONTENT_TYPE
from service.amqp.publisher import Publisher
from service.tariffs.settings import TariffSettings
from tests.ops.crafting import cli_env, dlq, queue_depth
from tests.support.sandbox import SandboxServer
from tests.support.service import ServiceProcess, sandbox_env
from tests.support.waiting import eventually
from tests.tariffs.factory import event, mutated

pytestmark = pytest.mark.integration
KEY = "tariff.changed.ppa_upstream"


def document(index: int, name: str | None = None) -> dict[str, Any]:
    parsed: dict[str, Any] = orjson.loads(event(index, "ppa_upstream", name=name).to_json())
    return parsed


def changed(index: int, path: str, value: object) -> bytes:
    return mutated(index, path, value, "ppa_upstream")


BAD_EVENTS: list[tuple[str, bytes, dict[str, Any]]] = [
    ("invalid_json", b"{not json", {}),
    ("unsupported_content_type", orjson.dumps(document(2)), {"content_type": "text/plain"}),
    ("unknown_type", changed(3, "type", "trace.tariff.deleted.v1"), {}),
    ("invalid_event", changed(4, "specversion", None), {}),
    ("invalid_data", changed(5, "data.revision", -1), {}),
    ("invalid_data", changed(6, "data.offer.country_code", "XX"), {}),
    ("invalid_encoding", b'{"name": "Gro\xdf"}', {}),
    ("payload_too_large", orjson.dumps({**document(8), "padding": "x" * 5000}), {}),
    ("rejected_by_trace", orjson.dumps(document(9, name="REJECT-ME please")), {}),
]


@pytest.fixture
async def bridge(
    sandbox: SandboxServer, names: TariffSettings, tmp_path: Path, service_processes: list[ServiceProcess]
) -> ServiceProcess:
    env = {
        **sandbox_env(sandbox.url),
        **cli_env(names),
        "TRACE_BRIDGE_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
        "TRACE_BRIDGE_TARIFFS_MAX_BODY_BYTES": "4096",
        "TRACE_BRIDGE_TARIFFS_BREAKER_THRESHOLD": "100",
        "TRACE_BRIDGE_TRACE_RETRY_ATTEMPTS": "1",
        "TRACE_BRIDGE_TRACE_RETRY_WAIT_INITIAL": "0.01",
        "TRACE_BRIDGE_TRACE_RETRY_WAIT_JITTER": "0.01",
    }
    process = ServiceProcess(env, ("run", "--only", "tariffs")).start()
    service_processes.append(process)
    process.wait_ready()
    return process


@pytest.fixture
async def publisher(amqp: AbstractRobustConnection) -> AsyncIterator[Publisher]:
    opened = await Publisher.open(amqp)
    yield opened
    await opened.close()


async def publish(
    publisher: Publisher, names: TariffSettings, message_id: str, body: bytes, **props: Any
) -> None:
    properties: dict[str, Any] = {"content_type": CONTENT_TYPE, **props}
    await publisher.publish(aio_pika.Message(body, message_id=message_id, **properties), names.exchange, KEY)


async def dead_letters(channel: AbstractChannel, names: TariffSettings, count: int) -> None:
    async def enough() -> bool:
        return await queue_depth(channel, names.dead_letter_queue) >= count

    await eventually(enough, timeout=20, message=f"{count} dead letters")


async def test_bad_events_are_listed_with_their_kinds_and_exhausted_ones_replay_after_the_outage(
    bridge: ServiceProcess,
    sandbox: SandboxServer,
    names: TariffSettings,
    publisher: Publisher,
    channel: AbstractChannel,
) -> None:
    sandbox.set_faults(reject_names=[{"contains": "REJECT-ME", "mode": "request"}])
    for index, (_, body, props) in enumerate(BAD_EVENTS):
        await publish(publisher, names, f"bad-{index}", body, **props)
    await dead_letters(channel, names, len(BAD_EVENTS))
    sandbox.outage(600, "upload")
    for index in range(2):
        await publish(
            publisher, names, f"late-{index}", orjson.dumps(document(20 + index, name=f"Late {index}"))
        )
    await dead_letters(channel, names, len(BAD_EVENTS) + 2)

    env = cli_env(names)
    listed = await dlq("list", "--json", env=env)
    kinds = {row["event_id"]: row["error_kind"] for row in json.loads(listed.stdout)}
    expected = {f"bad-{i}": kind for i, (kind, _, _) in enumerate(BAD_EVENTS)}
    assert kinds == {**expected, "late-0": "retries_exhausted", "late-1": "retries_exhausted"}

    sandbox.outage(0)
    replayed = await dlq("replay", "--kind", "retries_exhausted", "--yes", env=env)
    assert replayed.exit_code == 0, replayed.output
    assert "replayed 2 message(s)" in replayed.stdout

    def uploaded() -> bool:
        return {"Late 0", "Late 1"} <= {offer["name"] for offer in sandbox.offers()}

    await eventually(uploaded, timeout=20, message="replayed events uploaded")
    left = json.loads((await dlq("list", "--json", env=env)).stdout)
    assert {row["event_id"]: row["error_kind"] for row in left} == expected
