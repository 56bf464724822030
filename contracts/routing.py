"""Default AMQP names of the contract: exchanges, routing keys and queues.

They are defaults, not constants of nature: a deployment can rename every one of them. They
live with the contract because publishers and consumers in other teams bind to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from contracts.events import (
    AnyEvent,
    LeadCreated,
    LeadUpdated,
    TariffChanged,
    TariffRejected,
    TariffUploaded,
)

TARIFF_EXCHANGE: Final = "trace.tariffs"
"""Topic exchange for tariff events, both the changes and the bridge's answers."""
LEAD_EXCHANGE: Final = "trace.leads"
"""Topic exchange for lead events."""
TARIFF_QUEUE: Final = "trace-bridge.tariffs"
"""Quorum queue the bridge consumes tariff changes from."""
TARIFF_QUEUE_BINDING: Final = "tariff.changed.#"
"""Binding key of `TARIFF_QUEUE` on `TARIFF_EXCHANGE`."""
DEAD_LETTER_QUEUE: Final = "trace-bridge.tariffs.dlq"
"""Quorum queue holding tariff changes the bridge gave up on, for inspection and replay."""
APP_ID: Final = "trace-bridge"
"""AMQP `app_id` of every message the bridge publishes."""


CONSUMED_EVENTS: Final = (TariffChanged,)
"""Events the bridge consumes; their schemas describe what the bridge accepts."""
PUBLISHED_EVENTS: Final = (TariffUploaded, TariffRejected, LeadCreated, LeadUpdated)
"""Events the bridge publishes; their schemas describe what the bridge emits."""


@dataclass(frozen=True)
class Route:
    """Where events of one type are published; `key` may hold a `{product}` placeholder."""

    exchange: str
    key: str


ROUTES: Final[dict[str, Route]] = {
    TariffChanged.event_type: Route(TARIFF_EXCHANGE, "tariff.changed.{product}"),
    TariffUploaded.event_type: Route(TARIFF_EXCHANGE, "tariff.uploaded.{product}"),
    TariffRejected.event_type: Route(TARIFF_EXCHANGE, "tariff.rejected.{product}"),
    LeadCreated.event_type: Route(LEAD_EXCHANGE, "lead.created"),
    LeadUpdated.event_type: Route(LEAD_EXCHANGE, "lead.updated"),
}
"""Every event type, mapped to its default exchange and routing-key template."""


def routing_key(event: AnyEvent) -> str:
    """The routing key to publish `event` with, e.g. `tariff.changed.ppa_upstream`."""
    template = ROUTES[event.type].key
    if isinstance(event, TariffChanged):
        return template.format(product=event.data.offer.product)
    if isinstance(event, TariffUploaded | TariffRejected):
        return template.format(product=event.data.product)
    return template
