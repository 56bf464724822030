"""`trace-bridge dlq …` against the real RabbitMQ: read without loss or reordering, replay, purge."""

from __future__ import annotations

import json
import signal
from typing import Any

import pytest
from aio_pika.abc import AbstractChannel

from service.tariffs import letters
from service.tariffs.failures import ErrorKind
from service.tariffs.settings import TariffSettings
from tests.ops.conftest import UNKNOWN_TYPE
from tests.ops.crafting import Crafter, cli_env, dlq, dlq_process, drain, queue_depth
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
KINDS = [kind.value for kind in ErrorKind]


async def listed(env: dict[str, str], *filters: str) -> list[dict[str, Any]]:
    result = await dlq("list", "--json", *filters, env=env)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


async def test_list_shows_every_kind_in_queue_order_and_changes_nothing(
    ten_kinds: Crafter, env: dict[str, str], names: TariffSettings
) -> None:
    rows = await listed(env)
    assert [row["event_id"] for row in rows] == ten_kinds.ids
    assert [row["error_kind"] for row in rows] == [*KINDS[:9], "delivery_limit", "retries_exhausted"]
    assert rows[0]["tariff_id"] == ""  # not JSON: nothing to read the tariff from
    assert rows[4]["tariff_id"] == "tariff-4"
    assert rows[4]["reason"] == "invalid_event happened"
    assert rows[4]["attempts"] == 1
    broker = rows[9]
    assert "delivery_limit" in broker["reason"]
    assert broker["original_exchange"] == names.exchange
    assert broker["original_routing_key"].startswith("tariff.changed.")
    assert rows[8]["age_seconds"] > 2 * 86400 - 60
    assert [row["event_id"] for row in await listed(env)] == ten_kinds.ids
    await ten_kinds.assert_unchanged()


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (("--kind", "invalid_json", "--kind", "rejected_by_trace"), [1, 7]),
        (("--kind", "retries_exhausted"), [8, 10]),
        (("--type", UNKNOWN_TYPE), [5]),
        (("--older-than", "1h"), [6, 8]),
        (("--older-than", "1d"), [8]),
        (("--newer-than", "1h", "--kind", "retries_exhausted"), [10]),
        (("--id", "evt-3-1-tariff-3"), [3]),
        (("--limit", "3"), [0, 1, 2]),
        (("--kind", "retries_exhausted", "--limit", "1"), [8]),
    ],
)
async def test_filters_are_applied_without_touching_the_queue(
    ten_kinds: Crafter, env: dict[str, str], filters: tuple[str, ...], expected: list[int]
) -> None:
    rows = await listed(env, *filters)
    assert [row["event_id"] for row in rows] == [ten_kinds.ids[index] for index in expected]
    await ten_kinds.assert_unchanged()


async def test_table_output_names_the_columns(ten_kinds: Crafter, env: dict[str, str]) -> None:
    result = await dlq("list", "--kind", "rejected_by_trace", env={**env, "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for column in ("event id", "type", "tariff id", "error kind", "reason", "attempts", "age"):
        assert column in result.stdout
    assert "evt-7-1-tariff-7" in result.stdout
    assert "1 message(s)" in result.stdout


async def test_show_prints_headers_detail_and_body(ten_kinds: Crafter, env: dict[str, str]) -> None:
    result = await dlq("show", "evt-6-1-tariff-6", env=env)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"{letters.ERROR_KIND}: invalid_data" in out
    assert f"{letters.ORIGINAL_ROUTING_KEY}: tariff.changed." in out
    assert '"field": "data.x"' in out  # the detail, pretty-printed JSON
    assert '  "tariff_id": "tariff-6"' in out  # the body, pretty-printed JSON
    binary = await dlq("show", "evt-0-1-tariff-0", env=env)
    assert "(binary, hex)" in binary.stdout
    assert "fffe00" in binary.stdout.replace(" ", "")
    text = await dlq("show", "evt-1-1-tariff-1", env=env)
    assert "{not json" in text.stdout
    missing = await dlq("show", "no-such-event", env=env)
    assert missing.exit_code == 1
    await ten_kinds.assert_unchanged()


async def test_replay_dry_run_changes_nothing(ten_kinds: Crafter, env: dict[str, str]) -> None:
    result = await dlq("replay", "--kind", "retries_exhausted", "--dry-run", env=env)
    assert result.exit_code == 0, result.output
    assert "2 message(s) would be replayed" in result.stdout
    assert ten_kinds.ids[8] in result.stdout
    await ten_kinds.assert_unchanged()


async def bind_probe(channel: AbstractChannel, names: TariffSettings) -> str:
    """A queue bound to the tariff exchange with every exact routing key of the examples."""
    probe = await channel.declare_queue(f"{names.queue}.probe", exclusive=True)
    for product in ("direct_marketing", "ppa_upstream", "ppa_downstream"):
        await probe.bind(names.exchange, routing_key=f"tariff.changed.{product}")
    return probe.name


async def test_replay_moves_exactly_the_selected_letters_to_their_origin(
    ten_kinds: Crafter, env: dict[str, str], channel: AbstractChannel, names: TariffSettings
) -> None:
    probe = await bind_probe(channel, names)
    declined = await dlq("replay", "--kind", "retries_exhausted", env=env, input="n\n")
    assert declined.exit_code == 1
    result = await dlq("replay", "--kind", "retries_exhausted", "--yes", env=env)
    assert result.exit_code == 0, result.output
    assert "replayed 2 message(s), 0 failed" in result.stdout
    replayed = await drain(channel, probe)
    assert [m.message_id for m in replayed] == [ten_kinds.ids[8], ten_kinds.ids[10]]
    for message in replayed:
        headers = message.headers or {}
        assert letters.REPLAYED in headers
        assert not {letters.ATTEMPTS, letters.ERROR_KIND, letters.LAST_FAILURE, letters.REASON} & set(headers)
        assert message.routing_key == f"tariff.changed.{json.loads(message.body)['data']['offer']['product']}"
    await ten_kinds.assert_unchanged(except_ids=[ten_kinds.ids[8], ten_kinds.ids[10]])


async def test_replay_of_a_broker_dead_letter_uses_x_death(
    ten_kinds: Crafter, env: dict[str, str], channel: AbstractChannel, names: TariffSettings
) -> None:
    probe = await bind_probe(channel, names)
    result = await dlq("replay", "--kind", "delivery_limit", "--yes", env=env)
    assert result.exit_code == 0, result.output
    replayed = await drain(channel, probe)
    assert [m.message_id for m in replayed] == [ten_kinds.ids[9]]
    assert not {"x-death", "x-first-death-queue"} & set(replayed[0].headers or {})
    await ten_kinds.assert_unchanged(except_ids=[ten_kinds.ids[9]])


async def test_a_letter_without_a_route_stays_in_the_dlq(crafter: Crafter, env: dict[str, str]) -> None:
    headers = {letters.ERROR_KIND: "retries_exhausted", letters.ORIGINAL_EXCHANGE: "no-such-exchange-xyz"}
    await crafter.raw(headers, "lost-1")
    await crafter.raw({**headers, letters.ORIGINAL_EXCHANGE: ""}, "lost-2")
    result = await dlq("replay", "--yes", env=env)
    assert result.exit_code == 1
    assert "'no-such-exchange-xyz' does not exist" in result.output
    assert "replayed 0 message(s), 2 failed" in result.stdout
    await crafter.assert_unchanged()


async def test_purge_deletes_exactly_the_selected_letters(ten_kinds: Crafter, env: dict[str, str]) -> None:
    counted = await dlq("purge", "--kind", "invalid_json", "--kind", "unknown_type", env=env)
    assert counted.exit_code == 1
    assert "2 message(s) match" in counted.stdout
    result = await dlq("purge", "--kind", "invalid_json", "--kind", "unknown_type", "--yes", env=env)
    assert result.exit_code == 0, result.output
    assert "2 message(s) matched and were deleted" in result.stdout
    await ten_kinds.assert_unchanged(except_ids=[ten_kinds.ids[1], ten_kinds.ids[5]])


async def test_many_letters_keep_their_order_through_every_command(
    crafter: Crafter, env: dict[str, str], channel: AbstractChannel, names: TariffSettings
) -> None:
    """300 letters: RabbitMQ 3.10 shuffles unacked messages returned in bulk; we must not."""
    for index in range(300):
        kind = ("invalid_data", "rejected_by_trace", "retries_exhausted")[index % 3]
        headers = {letters.ERROR_KIND: kind, letters.ORIGINAL_EXCHANGE: "", letters.ORIGINAL_ROUTING_KEY: ""}
        await crafter.raw(headers, f"m-{index:03d}", body=f'{{"n": {index}}}'.encode())
    assert [row["event_id"] for row in await listed(env)] == crafter.ids
    purged = await dlq("purge", "--kind", "rejected_by_trace", "--yes", env=env)
    assert "100 message(s) matched" in purged.stdout
    gone = crafter.ids[1::3]
    assert [row["event_id"] for row in await listed(env)] == [i for i in crafter.ids if i not in gone]
    await crafter.assert_unchanged(except_ids=gone)


async def test_usage_and_availability_errors_have_their_exit_codes(names: TariffSettings) -> None:
    missing = await dlq("list", env=cli_env(names))
    assert missing.exit_code == 1
    assert "does not exist" in missing.output
    down = await dlq("list", env=cli_env(names, "amqp://guest:hunter22@127.0.0.1:1/"))
    assert down.exit_code == 3
    assert "hunter22" not in down.output
    bad = await dlq("list", "--older-than", "ten minutes", env=cli_env(names))
    assert bad.exit_code == 2


async def test_an_interrupted_replay_loses_nothing(
    crafter: Crafter, env: dict[str, str], channel: AbstractChannel, names: TariffSettings
) -> None:
    """SIGKILL in the middle: every letter is still in the DLQ or was re-published (or both)."""
    probe = await channel.declare_queue(f"{names.queue}.probe", exclusive=True)
    await probe.bind(names.exchange, routing_key="tariff.changed.replayed")
    headers = {
        letters.ERROR_KIND: "retries_exhausted",
        letters.ORIGINAL_EXCHANGE: names.exchange,
        letters.ORIGINAL_ROUTING_KEY: "tariff.changed.replayed",
    }
    for index in range(300):
        await crafter.raw(headers, f"r-{index:03d}")
    replay = dlq_process("replay", "--kind", "retries_exhausted", "--yes", "--rate", "200", env=env)
    try:
        await eventually(
            lambda: _at_least(channel, probe.name, 60), timeout=20, message="60 letters replayed"
        )
    finally:
        replay.send_signal(signal.SIGKILL)
        replay.wait(10)
    replayed = {m.message_id for m in await drain(channel, probe.name)}
    remaining = [m.message_id for m in await drain(channel, names.dead_letter_queue)]
    assert 60 <= len(replayed) < 300, "the replay was not interrupted midway"
    assert replayed | set(remaining) == set(crafter.ids)
    assert len(replayed & set(remaining)) <= 1  # at most the one in flight is duplicated
    assert len(remaining) == len(set(remaining))


async def _at_least(channel: AbstractChannel, queue: str, count: int) -> bool:
    return await queue_depth(channel, queue) >= count
