"""Failure modes: bad inputs are dead-lettered precisely, TRACE faults are retried or held."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aio_pika.abc import AbstractIncomingMessage

from contracts import CONTENT_TYPE, TariffRejected, TariffUploaded
from service.tariffs import letters
from tests.support.sandbox import SandboxServer
from tests.tariffs.factory import event, mutated
from tests.tariffs.harness import Pipeline

pytestmark = pytest.mark.integration


BAD_INPUTS: list[tuple[str, bytes, dict[str, Any], str, str]] = [
    ("not json", b"{not json", {}, "invalid_json", "body is not JSON"),
    ("empty body", b"", {}, "invalid_json", "body is empty"),
    ("latin-1 bytes", '{"name": "Gro\xdf"}'.encode("latin-1"), {}, "invalid_encoding", "not valid UTF-8"),
    ("utf-16", '{"a": 1}'.encode("utf-16"), {}, "invalid_encoding", "not valid UTF-8"),
    ("gzip encoding", b"{}", {"content_encoding": "gzip"}, "invalid_encoding", "gzip"),
    ("5 MB body", b" " * (5 * 1024 * 1024), {}, "payload_too_large", "limit is"),
    (
        "xml content type",
        b"<a/>",
        {"content_type": "application/xml"},
        "unsupported_content_type",
        "application/xml",
    ),
    ("json array", b"[1, 2]", {}, "invalid_event", "not a CloudEvent"),
    (
        "no specversion",
        orjson.dumps({"id": "x", "source": "s", "type": "t"}),
        {},
        "invalid_event",
        "specversion",
    ),
    (
        "unknown type",
        mutated(900, "type", "trace.tariff.deleted.v1"),
        {},
        "unknown_type",
        "trace.tariff.deleted.v1",
    ),
    ("lead event", mutated(901, "type", "trace.lead.created.v1"), {}, "unknown_type", "not consumed here"),
    ("wrong specversion", mutated(902, "specversion", "0.3"), {}, "invalid_event", "specversion"),
    ("naive time", mutated(903, "time", "2026-01-01T00:00:00"), {}, "invalid_event", "time"),
    (
        "bad enum",
        mutated(904, "data.offer.configuration.enumeration_type", "Fixed"),
        {},
        "invalid_data",
        "enumeration_type",
    ),
    ("bad tenor", mutated(905, "data.offer.price_matrix.0.tenor", "0Y"), {}, "invalid_data", "tenor"),
    ("bad country", mutated(906, "data.offer.country_code", "XX"), {}, "invalid_data", "country_code"),
    ("missing name", mutated(907, "data.offer.name", None), {}, "invalid_data", "name"),
    ("negative revision", mutated(908, "data.revision", -1), {}, "invalid_data", "revision"),
    ("unknown product", mutated(909, "data.offer.product", "heat_pump"), {}, "invalid_data", "product"),
]


async def test_bad_inputs_are_dead_lettered_with_kind_and_reason_while_good_ones_flow(
    pipeline: Pipeline, sandbox: SandboxServer
) -> None:
    sandbox.set_faults(reject_names=[{"contains": "REJECT-ME", "mode": "request"}])
    good = [event(index) for index in range(20)]
    refused = event(950, "ppa_upstream", name="REJECT-ME please")
    for index, (_, body, props, _, _) in enumerate(BAD_INPUTS):
        await pipeline.publish(good[index : index + 1])
        await pipeline.publish_raw(
            body, **{"message_id": f"bad-{index}", "content_type": CONTENT_TYPE, **props}
        )
    await pipeline.publish([refused, *good[len(BAD_INPUTS) :]])

    dead = {m.message_id: m for m in await pipeline.dead_letters(len(BAD_INPUTS) + 1)}
    for index, (case, body, _, kind, reason) in enumerate(BAD_INPUTS):
        letter = dead[f"bad-{index}"]
        headers = letter.headers
        assert headers[letters.ERROR_KIND] == kind, case
        assert reason in str(headers[letters.REASON]), (case, headers[letters.REASON])
        assert letter.body == body, case
        assert headers[letters.ATTEMPTS] == 1
        assert headers[letters.ORIGINAL_EXCHANGE] == pipeline.settings.exchange
        assert headers[letters.ORIGINAL_ROUTING_KEY] == "tariff.changed.direct_marketing"
    rejected = dead[refused.id].headers
    assert rejected[letters.ERROR_KIND] == "rejected_by_trace"
    assert "REJECT-ME" in str(rejected[letters.REASON]) + str(rejected[letters.DETAIL])

    outcomes = [orjson.loads(m.body) for m in await pipeline.outcomes(len(good) + 1)]
    uploaded = {o["data"]["source_event_id"] for o in outcomes if o["type"] == TariffUploaded.event_type}
    assert uploaded == {e.id for e in good}
    [rejection] = [
        TariffRejected.model_validate(o) for o in outcomes if o["type"] == TariffRejected.event_type
    ]
    assert rejection.data.reason == "rejected_by_trace"
    assert pipeline.consumer.is_consuming


async def test_a_batch_rejected_as_a_whole_is_bisected_so_only_the_bad_offer_fails(
    pipeline: Pipeline, sandbox: SandboxServer
) -> None:
    sandbox.set_faults(reject_names=[{"contains": "BAD", "mode": "request"}], latency_ms=50)
    events = [event(index, "direct_marketing") for index in range(12)]
    events[7] = event(7, "direct_marketing", name="BAD offer")
    await pipeline.publish(events)
    [dead] = await pipeline.dead_letters(1)
    assert dead.message_id == events[7].id
    outcomes = [orjson.loads(m.body) for m in await pipeline.outcomes(12)]
    assert sum(o["type"] == TariffUploaded.event_type for o in outcomes) == 11
    assert max(sandbox.stats()["requests"].get("POST upload_dm 400", 0), 0) >= 1


async def test_offers_refused_one_by_one_in_a_200_answer_are_dead_lettered(
    pipeline: Pipeline, sandbox: SandboxServer
) -> None:
    sandbox.set_faults(reject_names=[{"contains": "NOPE", "mode": "offer"}])
    events = [event(index, "ppa_downstream") for index in range(4)]
    events[2] = event(2, "ppa_downstream", name="NOPE")
    await pipeline.publish(events)
    [dead] = await pipeline.dead_letters(1)
    assert dead.message_id == events[2].id
    assert dead.headers[letters.ERROR_KIND] == "rejected_by_trace"
    await pipeline.outcomes(4)


def _kinds(messages: list[AbstractIncomingMessage]) -> list[str]:
    return [str(m.headers[letters.ERROR_KIND]) for m in messages]


async def test_flaky_slow_trace_loses_nothing(pipeline: Pipeline, sandbox: SandboxServer) -> None:
    sandbox.set_faults(error_rate=0.3, error_statuses=[500, 502, 503], latency_ms=30)
    events = [event(index) for index in range(150)]
    await pipeline.publish(events)
    outcomes = [TariffUploaded.from_json(m.body) for m in await pipeline.outcomes(150, timeout=120)]
    assert {o.data.source_event_id for o in outcomes} == {e.id for e in events}
    assert await pipeline.depth(pipeline.settings.dead_letter_queue) == 0
