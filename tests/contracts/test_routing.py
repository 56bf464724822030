"""Default AMQP names and routing keys of every event."""

from __future__ import annotations

import orjson
import pytest

from contracts import EVENT_TYPES, parse_event
from contracts.routing import (
    DEAD_LETTER_QUEUE,
    LEAD_EXCHANGE,
    ROUTES,
    TARIFF_EXCHANGE,
    TARIFF_QUEUE,
    TARIFF_QUEUE_BINDING,
    routing_key,
)
from tests.contracts.helpers import EXAMPLES_DIR

EXPECTED = {
    "trace.tariff.changed.v1.direct_marketing.json": "tariff.changed.direct_marketing",
    "trace.tariff.changed.v1.ppa_upstream.json": "tariff.changed.ppa_upstream",
    "trace.tariff.changed.v1.ppa_downstream.json": "tariff.changed.ppa_downstream",
    "trace.tariff.uploaded.v1.json": "tariff.uploaded.direct_marketing",
    "trace.tariff.rejected.v1.json": "tariff.rejected.ppa_upstream",
    "trace.lead.created.v1.json": "lead.created",
    "trace.lead.updated.v1.json": "lead.updated",
}


def test_default_names() -> None:
    assert (TARIFF_EXCHANGE, LEAD_EXCHANGE) == ("trace.tariffs", "trace.leads")
    assert (TARIFF_QUEUE, TARIFF_QUEUE_BINDING) == ("trace-bridge.tariffs", "tariff.changed.#")
    assert DEAD_LETTER_QUEUE == "trace-bridge.tariffs.dlq"
    assert set(ROUTES) == set(EVENT_TYPES)
    assert {ROUTES[t].exchange for t in EVENT_TYPES if t.startswith("trace.lead.")} == {LEAD_EXCHANGE}
    assert {ROUTES[t].exchange for t in EVENT_TYPES if t.startswith("trace.tariff.")} == {TARIFF_EXCHANGE}


@pytest.mark.parametrize(("name", "key"), EXPECTED.items(), ids=list(EXPECTED))
def test_routing_key_of_each_example(name: str, key: str) -> None:
    assert routing_key(parse_event((EXAMPLES_DIR / name).read_bytes())) == key


def test_every_tariff_changed_key_matches_the_queue_binding() -> None:
    prefix = TARIFF_QUEUE_BINDING.removesuffix("#")
    keys = [routing_key(parse_event((EXAMPLES_DIR / name).read_bytes())) for name in EXPECTED]
    assert [key for key in keys if key.startswith(prefix)] == list(EXPECTED.values())[:3]
    assert all(orjson.loads((EXAMPLES_DIR / name).read_bytes())["type"] in EVENT_TYPES for name in EXPECTED)
